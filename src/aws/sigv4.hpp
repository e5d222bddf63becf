// AWS Signature Version 4, query-string form (presigned URLs), as the AWS documentation and
// botocore's SigV4QueryAuth define it. No I/O: the instant is a parameter, so tests fix it.
// Used by iam_token.hpp for ElastiCache/MemoryDB IAM auth tokens.
#pragma once

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"

namespace funnel::aws {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);
std::string hex(const Digest& digest);

// SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex);
// a space is %20, never '+'.
std::string uri_encode(std::string_view text);

// "20260102T030405Z" (the X-Amz-Date form) and its first 8 characters (the scope's date).
std::string amz_date(Clock::time_point at);

// The signing key: HMAC chain over "AWS4"+secret, date (YYYYMMDD), region, service, "aws4_request".
Digest signing_key(std::string_view secret, std::string_view date, std::string_view region,
                   std::string_view service);

// SHA-256 of the empty payload, the hash a GET without body signs.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct PresignInput {
  std::string_view method = "GET";
  std::string_view host;
  std::string_view path = "/";  // already in canonical (encoded) form
  // The request's own parameters, unencoded, in the order they appear in the URL (the signed
  // canonical query sorts them; the URL keeps this order, then the X-Amz-* parameters).
  std::vector<std::pair<std::string, std::string>> query;
  std::string_view service;
  std::string_view region;
  std::chrono::seconds expires{900};
  std::string_view payload_hash = kEmptyPayloadHash;
};

// The presigned URL without its scheme: host + path + "?" + query, the X-Amz-Signature last.
// Signs only the host header. Adds X-Amz-Security-Token when the credentials carry a token.
std::string presign(const PresignInput& input, const Credentials& credentials,
                    Clock::time_point at);

// A request signed in the Authorization header (botocore's SigV4Auth), as STS AssumeRole is
// sent: signs content-type, host, x-amz-date and x-amz-security-token (when the credentials
// carry a token) over the body's SHA-256.
struct SignInput {
  std::string_view method = "POST";
  std::string_view host;  // with ":port" when not the scheme's default, as the URL has it
  std::string_view path = "/";
  std::string_view content_type = "application/x-www-form-urlencoded; charset=utf-8";
  std::string_view body;
  std::string_view service;
  std::string_view region;
};
struct SignedHeaders {
  std::string amz_date;       // X-Amz-Date
  std::string authorization;  // Authorization: AWS4-HMAC-SHA256 Credential=..., Signature=...
};
SignedHeaders sign_request(const SignInput& input, const Credentials& credentials,
                           Clock::time_point at);

// The parts presign() builds, exposed for tests against AWS's published intermediate values.
std::string canonical_query(std::vector<std::pair<std::string, std::string>> params);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

}  // namespace funnel::aws
