// STS web identity, the container endpoint and IMDSv2 (see remote_sources.hpp). Errors name the
// source and the HTTP status; they never include a token or a response body that may hold one.
#include "aws/remote_sources.hpp"

#include <chrono>

#include "aws/credential_documents.hpp"
#include "aws/sigv4.hpp"

namespace funnel::aws {

namespace {

constexpr std::chrono::milliseconds kHttpTimeout{1000};  // botocore's metadata timeout

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

template <class Settings>
std::string sts_url(const Settings& settings) {
  if (!settings.sts_endpoint.empty()) return settings.sts_endpoint;
  if (settings.region.empty()) return "https://sts.amazonaws.com/";
  return "https://sts." + settings.region + ".amazonaws.com/";
}

std::string session_or_default(const ChainEnvironment& environment, const std::string& name) {
  if (!name.empty()) return name;
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(environment.now().time_since_epoch());
  return "funnel-" + std::to_string(seconds.count());
}

// The form body botocore's STS client sends: Action and Version, then the members in the
// operation's order.
std::string assume_role_body(const ChainEnvironment& environment,
                             const AssumeRoleSettings& settings) {
  std::string body =
      "Action=AssumeRole&Version=2011-06-15&RoleArn=" + uri_encode(settings.role_arn) +
      "&RoleSessionName=" + uri_encode(session_or_default(environment, settings.session_name));
  if (!settings.duration_seconds.empty()) {
    body += "&DurationSeconds=" + uri_encode(settings.duration_seconds);
  }
  if (!settings.external_id.empty()) body += "&ExternalId=" + uri_encode(settings.external_id);
  return body;
}

}  // namespace

Credentials assume_role_with_web_identity(const ChainEnvironment& environment,
                                          const WebIdentitySettings& settings) {
  auto token = environment.read_file(settings.token_file);
  if (!token) {
    throw CredentialError("web identity: cannot read the token file " + settings.token_file);
  }
  const std::string session = session_or_default(environment, settings.session_name);
  HttpRequest request{.method = "POST", .url = sts_url(settings), .timeout = kHttpTimeout * 5};
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                 uri_encode(settings.role_arn) + "&RoleSessionName=" + uri_encode(session) +
                 "&WebIdentityToken=" + uri_encode(trimmed(*token));
  const HttpResponse response = environment.http(request);
  if (response.status == 0) throw CredentialError("web identity: STS " + response.error);
  ParsedCredentials parsed = parse_sts_response(response.body);
  if (!parsed.credentials) {
    throw CredentialError("web identity: HTTP " + std::to_string(response.status) + ": " +
                          parsed.error);
  }
  return *parsed.credentials;
}

Credentials assume_role(const ChainEnvironment& environment, const AssumeRoleSettings& settings,
                        const Credentials& source) {
  HttpRequest request{.method = "POST", .url = sts_url(settings), .timeout = kHttpTimeout * 5};
  UrlParts url;
  if (!split_url(request.url, url)) {
    throw CredentialError("assume role: the STS endpoint " + request.url +
                          " is not an http(s) URL");
  }
  const bool default_port = url.port.empty() || url.port == (url.tls ? "443" : "80");
  const std::string host = default_port ? url.host : url.host + ':' + url.port;
  request.body = assume_role_body(environment, settings);
  const SignInput input{.host = host,
                        .path = url.target,
                        .body = request.body,
                        .service = "sts",
                        .region = settings.region.empty() ? std::string_view("us-east-1")
                                                          : std::string_view(settings.region)};
  const SignedHeaders signed_headers = sign_request(input, source, environment.now());
  request.headers = {{"Content-Type", std::string(input.content_type)},
                     {"X-Amz-Date", signed_headers.amz_date},
                     {"Authorization", signed_headers.authorization}};
  if (!source.session_token.empty()) {
    request.headers.emplace_back("X-Amz-Security-Token", source.session_token);
  }
  const HttpResponse response = environment.http(request);
  if (response.status == 0) throw CredentialError("assume role: STS " + response.error);
  ParsedCredentials parsed = parse_sts_response(response.body);
  if (!parsed.credentials) {
    throw CredentialError("assume role " + settings.role_arn + ": HTTP " +
                          std::to_string(response.status) + ": " + parsed.error);
  }
  return *parsed.credentials;
}

std::optional<Credentials> container_credentials(const ChainEnvironment& environment) {
  const std::string relative = env_or(environment, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
  const std::string full = env_or(environment, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "");
  if (relative.empty() && full.empty()) return std::nullopt;
  HttpRequest request{.url = relative.empty() ? full : "http://169.254.170.2" + relative,
                      .timeout = kHttpTimeout};
  const std::string token_file = env_or(environment, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "");
  std::string authorization = env_or(environment, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "");
  if (!token_file.empty()) {
    auto text = environment.read_file(token_file);
    if (!text) throw CredentialError("container endpoint: cannot read " + token_file);
    authorization = trimmed(*text);
  }
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
  request.headers.emplace_back("Accept", "application/json");
  const HttpResponse response = environment.http(request);
  if (response.status != 200) {
    throw CredentialError(
        "container endpoint " + request.url + ": " +
        (response.status == 0 ? response.error : "HTTP " + std::to_string(response.status)));
  }
  ParsedCredentials parsed = parse_credentials_json(response.body);
  if (!parsed.credentials) throw CredentialError("container endpoint: " + parsed.error);
  return parsed.credentials;
}

namespace {

std::string metadata_base(const ChainEnvironment& environment) {
  std::string base =
      env_or(environment, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254");
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// GET of an instance metadata path with the session token; the body on 200, none otherwise.
std::optional<std::string> metadata_get(const ChainEnvironment& environment,
                                        const std::string& base, const std::string& token,
                                        const std::string& path) {
  HttpRequest request{.url = base + path, .timeout = kHttpTimeout};
  request.headers = {{"X-aws-ec2-metadata-token", token}};
  HttpResponse response = environment.http(request);
  if (response.status != 200) return std::nullopt;
  return std::move(response.body);
}

}  // namespace

std::optional<Credentials> instance_metadata_credentials(const ChainEnvironment& environment) {
  if (env_or(environment, "AWS_EC2_METADATA_DISABLED", "") == "true") return std::nullopt;
  const std::string base = metadata_base(environment);
  // IMDSv2: a session token first (PUT, with its lifetime), then every GET presents it.
  HttpRequest put{.method = "PUT", .url = base + "/latest/api/token", .timeout = kHttpTimeout};
  put.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  const HttpResponse token = environment.http(put);
  if (token.status != 200 || token.body.empty()) return std::nullopt;
  const std::string path = "/latest/meta-data/iam/security-credentials/";
  auto roles = metadata_get(environment, base, token.body, path);
  if (!roles) return std::nullopt;
  const std::string role = trimmed(roles->substr(0, roles->find('\n')));
  if (role.empty()) return std::nullopt;
  auto document = metadata_get(environment, base, token.body, path + role);
  if (!document) return std::nullopt;
  ParsedCredentials parsed = parse_credentials_json(*document);
  if (!parsed.credentials) throw CredentialError("instance metadata: " + parsed.error);
  return parsed.credentials;
}

}  // namespace funnel::aws
