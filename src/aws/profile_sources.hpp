// The credential sources a profile of the shared config files names (botocore's order, after the
// environment): assume-role profiles (role_arn with source_profile or credential_source: STS
// AssumeRole signed with the source's credentials) and credential_process (a command whose JSON
// output holds the keys). Blocking: control thread only, as the rest of the chain.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credential_chain.hpp"
#include "aws/credential_documents.hpp"

namespace funnel::aws {

using Section = std::map<std::string, std::string>;

// Both shared files and the selected profile's name.
struct Profiles {
  std::string name;
  IniFile credentials_file;
  IniFile config_file;
  // The named profile's section in each file (an empty one when absent).
  const Section& credentials(const std::string& profile) const;
  const Section& config(const std::string& profile) const;
  const Section& credentials() const { return credentials(name); }
  const Section& config() const { return config(name); }
  // Both sections, the credentials file's values winning (botocore merges them so).
  Section merged(const std::string& profile) const;
};
Profiles load_profiles(const ChainEnvironment& environment);

std::string setting(const Section& section, const std::string& key);

// botocore's test for an assume-role profile: role_arn without web_identity_token_file.
bool is_assume_role(const Section& section);

// The credentials of assume-role profile `profile`: its source's (source_profile, followed
// through further assume-role profiles, or credential_source Environment, Ec2InstanceMetadata or
// EcsContainer), then STS AssumeRole with role_session_name, external_id and duration_seconds.
// Throws CredentialError (a bad profile, a loop, a source without credentials, STS refusing).
Credentials assume_role_profile(const ChainEnvironment& environment, const Profiles& profiles,
                                const std::string& profile);

// The credentials credential_process in `section` prints; none when the section has none.
// The command runs without a shell (split as a POSIX shell would split words); its output is
// never quoted in errors. Throws CredentialError when it fails or prints no credentials.
std::optional<Credentials> process_credentials(const ChainEnvironment& environment,
                                               const Section& section);

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; none when unset. Throws
// CredentialError when only one of the pair is set.
std::optional<Credentials> environment_keys(const ChainEnvironment& environment);

// Splits a command line into words like shlex.split (quotes, backslash escapes); none when a
// quote is left open.
std::optional<std::vector<std::string>> split_command(std::string_view line);

}  // namespace funnel::aws
