// SigV4 presigning over OpenSSL's EVP and HMAC (see sigv4.hpp). Mirrors botocore's
// SigV4QueryAuth step by step, so tokens match botocore's byte for byte.
#include "aws/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace funnel::aws {

Digest sha256(std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    throw std::runtime_error("OpenSSL EVP_Digest(SHA-256) failed");
  }
  return digest;
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
           &size) == nullptr ||
      size != digest.size()) {
    throw std::runtime_error("OpenSSL HMAC(SHA-256) failed");
  }
  return digest;
}

std::string hex(const Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0xf];
  }
  return text;
}

std::string uri_encode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' ||
                            byte == '.' || byte == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kDigits[byte >> 4];
      out += kDigits[byte & 0xf];
    }
  }
  return out;
}

std::string amz_date(Clock::time_point at) {
  const std::time_t seconds = Clock::to_time_t(at);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &parts);
  return text;
}

namespace {
std::string_view view(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}
}  // namespace

Digest signing_key(std::string_view secret, std::string_view date, std::string_view region,
                   std::string_view service) {
  const Digest k_date = hmac_sha256("AWS4" + std::string(secret), date);
  const Digest k_region = hmac_sha256(view(k_date), region);
  const Digest k_service = hmac_sha256(view(k_region), service);
  return hmac_sha256(view(k_service), "aws4_request");
}

std::string canonical_query(std::vector<std::pair<std::string, std::string>> params) {
  for (auto& [name, value] : params) {
    name = uri_encode(name);
    value = uri_encode(value);
  }
  std::sort(params.begin(), params.end());  // by encoded name, then value (SigV4's rule)
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name + '=' + value;
  }
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += hex(sha256(canonical_request));
  return out;
}

namespace {

std::string join_encoded(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += uri_encode(name) + '=' + uri_encode(value);
  }
  return out;
}

}  // namespace

std::string presign(const PresignInput& input, const Credentials& credentials,
                    Clock::time_point at) {
  const std::string date_time = amz_date(at);
  const std::string date = date_time.substr(0, 8);
  const std::string scope =
      date + '/' + std::string(input.region) + '/' + std::string(input.service) + "/aws4_request";
  std::vector<std::pair<std::string, std::string>> auth = {
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", credentials.access_key_id + '/' + scope},
      {"X-Amz-Date", date_time},
      {"X-Amz-Expires", std::to_string(input.expires.count())},
      {"X-Amz-SignedHeaders", "host"}};
  if (!credentials.session_token.empty()) {
    auth.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  auto all = input.query;
  all.insert(all.end(), auth.begin(), auth.end());
  const std::string canonical_request =
      std::string(input.method) + '\n' + std::string(input.path) + '\n' + canonical_query(all) +
      "\nhost:" + std::string(input.host) + "\n\nhost\n" + std::string(input.payload_hash);
  const Digest key = signing_key(credentials.secret_access_key, date, input.region, input.service);
  const std::string signature =
      hex(hmac_sha256(view(key), string_to_sign(date_time, scope, canonical_request)));
  std::string url = std::string(input.host) + std::string(input.path) + '?';
  if (!input.query.empty()) url += join_encoded(input.query) + '&';
  return url + join_encoded(auth) + "&X-Amz-Signature=" + signature;
}

SignedHeaders sign_request(const SignInput& input, const Credentials& credentials,
                           Clock::time_point at) {
  SignedHeaders out{.amz_date = amz_date(at), .authorization = {}};
  const std::string date = out.amz_date.substr(0, 8);
  const std::string scope =
      date + '/' + std::string(input.region) + '/' + std::string(input.service) + "/aws4_request";
  std::string headers = "content-type:" + std::string(input.content_type) +
                        "\nhost:" + std::string(input.host) + "\nx-amz-date:" + out.amz_date + '\n';
  std::string names = "content-type;host;x-amz-date";
  if (!credentials.session_token.empty()) {
    headers += "x-amz-security-token:" + credentials.session_token + '\n';
    names += ";x-amz-security-token";
  }
  const std::string canonical_request = std::string(input.method) + '\n' + std::string(input.path) +
                                        "\n\n" + headers + '\n' + names + '\n' +
                                        hex(sha256(input.body));
  const Digest key = signing_key(credentials.secret_access_key, date, input.region, input.service);
  const std::string signature =
      hex(hmac_sha256(view(key), string_to_sign(out.amz_date, scope, canonical_request)));
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + '/' + scope +
                      ", SignedHeaders=" + names + ", Signature=" + signature;
  return out;
}

std::string describe(const Credentials& credentials) {
  // Four characters of the key id tell keys apart in logs (AKIA: long-lived, ASIA: temporary)
  // without giving anything away.
  return credentials.source + " (" + credentials.access_key_id.substr(0, 4) + "...)";
}

}  // namespace funnel::aws
