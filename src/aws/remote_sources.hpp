// The credential sources reached over HTTP: STS AssumeRoleWithWebIdentity, the ECS/EKS
// container endpoint and EC2 instance metadata (IMDSv2). Each builds its requests and reads the
// answer through ChainEnvironment::http, so tests point them at fake endpoints on loopback.
#pragma once

#include <optional>
#include <string>

#include "aws/credential_chain.hpp"

namespace funnel::aws {

struct WebIdentitySettings {
  std::string token_file{};
  std::string role_arn{};
  std::string session_name{};  // empty: "funnel-<unix time>"
  std::string region{};        // picks the regional STS endpoint; empty: the global one
  std::string sts_endpoint{};  // AWS_ENDPOINT_URL_STS: overrides the endpoint (tests)
};

// Throws CredentialError when the token file cannot be read or STS refuses.
Credentials assume_role_with_web_identity(const ChainEnvironment& environment,
                                          const WebIdentitySettings& settings);

struct AssumeRoleSettings {
  std::string role_arn{};
  std::string session_name{};      // empty: "funnel-<unix time>"
  std::string external_id{};       // empty: none sent
  std::string duration_seconds{};  // empty: STS's default (one hour)
  std::string region{};            // the regional STS endpoint and the signing region (us-east-1)
  std::string sts_endpoint{};      // AWS_ENDPOINT_URL_STS
};

// STS AssumeRole, signed (SigV4, Authorization header) with `source`. Throws CredentialError.
Credentials assume_role(const ChainEnvironment& environment, const AssumeRoleSettings& settings,
                        const Credentials& source);

// None when neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set; throws
// CredentialError when one is set and the endpoint fails.
std::optional<Credentials> container_credentials(const ChainEnvironment& environment);

// None when instance metadata is disabled (AWS_EC2_METADATA_DISABLED=true), unreachable, or
// the instance has no role.
std::optional<Credentials> instance_metadata_credentials(const ChainEnvironment& environment);

// The value of environment variable `name`, or `fallback` when unset or empty.
std::string env_or(const ChainEnvironment& environment, const std::string& name,
                   std::string fallback);

}  // namespace funnel::aws
