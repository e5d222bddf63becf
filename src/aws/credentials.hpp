// AWS credentials as the signer and the credential chain pass them around. The secret parts are
// never logged: describe() names the source and the key id's first characters only.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace funnel::aws {

using Clock = std::chrono::system_clock;

struct Credentials {
  std::string access_key_id{};
  std::string secret_access_key{};
  std::string session_token{};                // empty: long-lived keys (no X-Amz-Security-Token)
  std::optional<Clock::time_point> expiry{};  // none: they do not expire
  std::string source{};                       // which provider gave them ("env", "imds", ...)

  bool complete() const { return !access_key_id.empty() && !secret_access_key.empty(); }
};

// For logs: "env (AKIA...)"; never the secret or the token.
std::string describe(const Credentials& credentials);

}  // namespace funnel::aws
