// The ElastiCache / MemoryDB IAM auth token: the SigV4-presigned URL (without "https://") of
// GET https://<cache-id>/?Action=connect&User=<user>[&ResourceType=ServerlessCache], valid 15
// minutes, used as the AUTH password of the IAM-enabled user. No I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"

namespace funnel::aws {

struct IamTokenRequest {
  std::string user{};      // the ElastiCache/MemoryDB user id (the AUTH user name)
  std::string cache_id{};  // replication group, serverless cache or MemoryDB cluster name
  std::string region{};    // e.g. us-east-1
  std::string service = "elasticache";  // or "memorydb"
  bool serverless = false;              // adds ResourceType=ServerlessCache
};

// How long a token is valid; the service rejects it after this (X-Amz-Expires).
inline constexpr std::chrono::seconds kIamTokenLifetime{900};

std::string make_iam_token(const IamTokenRequest& request, const Credentials& credentials,
                           Clock::time_point at);

// Empty when the request can be signed; otherwise what is wrong, naming the setting.
std::string check_iam_request(const IamTokenRequest& request);

// Parses "2026-01-02T03:04:05Z" (also with a fraction or "+00:00") or "20260102T030405Z"; UTC
// only. None when the text is not one of these forms.
std::optional<Clock::time_point> parse_iso8601(std::string_view text);

}  // namespace funnel::aws
