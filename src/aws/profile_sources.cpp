// Assume-role profiles and credential_process (see profile_sources.hpp), following botocore's
// AssumeRoleProvider and ProcessProvider: a source profile with keys of its own, or that is not
// itself an assume-role profile, is resolved through the profile's own chain (web identity,
// shared credentials file, credential_process, config file), never the environment's keys.
#include "aws/profile_sources.hpp"

#include <algorithm>

#include "aws/remote_sources.hpp"

namespace funnel::aws {

namespace {

const Section kEmpty;
// A credential_process that has not printed its credentials by then is stopped.
constexpr std::chrono::milliseconds kProcessTimeout{30000};

std::string region_of(const ChainEnvironment& environment, const Profiles& profiles) {
  return env_or(environment, "AWS_REGION",
                env_or(environment, "AWS_DEFAULT_REGION", setting(profiles.config(), "region")));
}

// A profile's own chain (botocore's, with the environment's keys left out).
Credentials profile_chain(const ChainEnvironment& environment, const Profiles& profiles,
                          const std::string& profile) {
  const Section merged = profiles.merged(profile);
  if (!setting(merged, "web_identity_token_file").empty() && !setting(merged, "role_arn").empty()) {
    WebIdentitySettings web{.token_file = setting(merged, "web_identity_token_file"),
                            .role_arn = setting(merged, "role_arn"),
                            .session_name = setting(merged, "role_session_name"),
                            .region = region_of(environment, profiles),
                            .sts_endpoint = env_or(environment, "AWS_ENDPOINT_URL_STS", "")};
    return assume_role_with_web_identity(environment, web);
  }
  if (auto found = static_keys(profiles.credentials(profile))) return *found;
  if (auto found = process_credentials(environment, merged)) return *found;
  if (auto found = static_keys(profiles.config(profile))) return *found;
  throw CredentialError("profile " + profile + " has no credentials of its own");
}

std::optional<Credentials> named_source(const ChainEnvironment& environment,
                                        const std::string& source) {
  if (source == "Environment") return environment_keys(environment);
  if (source == "Ec2InstanceMetadata") return instance_metadata_credentials(environment);
  if (source == "EcsContainer") return container_credentials(environment);
  throw CredentialError("credential_source " + source +
                        " is not one of Environment, Ec2InstanceMetadata, EcsContainer");
}

Credentials assume_role_at(const ChainEnvironment& environment, const Profiles& profiles,
                           const std::string& profile, std::vector<std::string>& visited);

Credentials source_credentials(const ChainEnvironment& environment, const Profiles& profiles,
                               const std::string& profile, std::vector<std::string>& visited) {
  const Section role = profiles.merged(profile);
  const std::string from_source = setting(role, "credential_source");
  if (!from_source.empty()) {
    auto found = named_source(environment, from_source);
    if (!found) throw CredentialError("credential_source " + from_source + " has no credentials");
    return *found;
  }
  const std::string parent = setting(role, "source_profile");
  const Section source = profiles.merged(parent);
  if (source.empty()) throw CredentialError("its source_profile " + parent + " does not exist");
  const bool has_keys = static_keys(source).has_value();
  // A profile may name itself as its source when it has keys; any other loop is an error.
  if (std::find(visited.begin(), visited.end(), parent) != visited.end() &&
      (parent != profile || !has_keys)) {
    throw CredentialError("source_profile " + parent + " leads back to itself (a loop)");
  }
  if (has_keys || !is_assume_role(source)) return profile_chain(environment, profiles, parent);
  return assume_role_at(environment, profiles, parent, visited);
}

Credentials assume_role_at(const ChainEnvironment& environment, const Profiles& profiles,
                           const std::string& profile, std::vector<std::string>& visited) {
  const Section role = profiles.merged(profile);
  const bool by_profile = !setting(role, "source_profile").empty();
  const bool by_source = !setting(role, "credential_source").empty();
  if (by_profile == by_source) {
    throw CredentialError("profile " + profile +
                          ": role_arn needs exactly one of source_profile and credential_source");
  }
  if (!setting(role, "mfa_serial").empty()) {
    throw CredentialError("profile " + profile +
                          ": mfa_serial needs a code typed in; Funnel cannot prompt for one");
  }
  visited.push_back(profile);
  Credentials source;
  try {
    source = source_credentials(environment, profiles, profile, visited);
  } catch (const CredentialError& error) {
    throw CredentialError("profile " + profile + ": " + error.what());
  }
  const AssumeRoleSettings settings{
      .role_arn = setting(role, "role_arn"),
      .session_name = setting(role, "role_session_name"),
      .external_id = setting(role, "external_id"),
      .duration_seconds = setting(role, "duration_seconds"),
      .region = region_of(environment, profiles),
      .sts_endpoint = env_or(environment, "AWS_ENDPOINT_URL_STS", "")};
  return assume_role(environment, settings, source);
}

}  // namespace

const Section& Profiles::credentials(const std::string& profile) const {
  const Section* found = credentials_section(credentials_file, profile);
  return found ? *found : kEmpty;
}

const Section& Profiles::config(const std::string& profile) const {
  const Section* found = config_section(config_file, profile);
  return found ? *found : kEmpty;
}

Section Profiles::merged(const std::string& profile) const {
  Section all = config(profile);
  for (const auto& [key, value] : credentials(profile)) all[key] = value;
  return all;
}

std::string setting(const Section& section, const std::string& key) {
  const auto found = section.find(key);
  return found == section.end() ? std::string() : found->second;
}

bool is_assume_role(const Section& section) {
  return !setting(section, "role_arn").empty() &&
         setting(section, "web_identity_token_file").empty();
}

Credentials assume_role_profile(const ChainEnvironment& environment, const Profiles& profiles,
                                const std::string& profile) {
  std::vector<std::string> visited;
  return assume_role_at(environment, profiles, profile, visited);
}

std::optional<Credentials> process_credentials(const ChainEnvironment& environment,
                                               const Section& section) {
  const std::string command = setting(section, "credential_process");
  if (command.empty()) return std::nullopt;
  auto argv = split_command(command);
  if (!argv || argv->empty()) {
    throw CredentialError("credential_process: cannot split the command (an open quote?)");
  }
  const ProcessResult result = environment.run(*argv);
  if (result.exit_code != 0) {
    // Never the output: it may hold half a secret. The command's own messages went to stderr.
    throw CredentialError(
        "credential_process " + argv->front() + ": " +
        (result.exit_code < 0 ? result.error : "exit status " + std::to_string(result.exit_code)));
  }
  ParsedCredentials parsed = parse_process_json(result.output);
  if (!parsed.credentials) {
    throw CredentialError("credential_process " + argv->front() + ": " + parsed.error);
  }
  return parsed.credentials;
}

std::optional<std::vector<std::string>> split_command(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t at = 0; at < line.size(); ++at) {
    const char c = line[at];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && at + 1 < line.size() &&
                 std::string_view("\"\\$`").find(line[at + 1]) != std::string_view::npos) {
        word += line[++at];
      } else {
        word += c;
      }
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
    } else {
      in_word = true;
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '\\' && at + 1 < line.size()) {
        word += line[++at];
      } else {
        word += c;
      }
    }
  }
  if (quote != 0) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace funnel::aws
