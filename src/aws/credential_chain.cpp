// The credential chain's order and the file-based sources (see credential_chain.hpp); the HTTP
// sources live in remote_sources.cpp.
#include "aws/credential_chain.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "aws/credential_documents.hpp"
#include "aws/profile_sources.hpp"
#include "aws/remote_sources.hpp"

namespace funnel::aws {

ChainEnvironment ChainEnvironment::system() {
  ChainEnvironment environment;
  environment.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  environment.read_file = [](const std::string& path) -> std::optional<std::string> {
    std::ifstream file(path, std::ios::binary);
    if (!file) return std::nullopt;
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  };
  environment.http = [](const HttpRequest& request) { return http_request(request); };
  environment.now = [] { return Clock::now(); };
  environment.run = [](const std::vector<std::string>& argv) {
    return run_process(argv, std::chrono::seconds(30));
  };
  return environment;
}

std::string env_or(const ChainEnvironment& environment, const std::string& name,
                   std::string fallback) {
  auto value = environment.getenv(name);
  return value && !value->empty() ? *value : std::move(fallback);
}

std::optional<Credentials> environment_keys(const ChainEnvironment& environment) {
  const std::string id = env_or(environment, "AWS_ACCESS_KEY_ID", "");
  const std::string secret = env_or(environment, "AWS_SECRET_ACCESS_KEY", "");
  if (id.empty() && secret.empty()) return std::nullopt;
  if (id.empty() || secret.empty()) {
    throw CredentialError(
        "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
  }
  Credentials credentials{.access_key_id = id, .secret_access_key = secret};
  credentials.session_token =
      env_or(environment, "AWS_SESSION_TOKEN", env_or(environment, "AWS_SECURITY_TOKEN", ""));
  return credentials;
}

namespace {

IniFile read_ini(const ChainEnvironment& environment, const std::string& path) {
  auto text = environment.read_file(path);
  return text ? parse_ini(*text) : IniFile{};
}

}  // namespace

Profiles load_profiles(const ChainEnvironment& environment) {
  const std::string home = env_or(environment, "HOME", "");
  Profiles profiles;
  profiles.name =
      env_or(environment, "AWS_PROFILE", env_or(environment, "AWS_DEFAULT_PROFILE", "default"));
  profiles.credentials_file = read_ini(
      environment, env_or(environment, "AWS_SHARED_CREDENTIALS_FILE", home + "/.aws/credentials"));
  profiles.config_file =
      read_ini(environment, env_or(environment, "AWS_CONFIG_FILE", home + "/.aws/config"));
  return profiles;
}

namespace {

WebIdentitySettings web_identity_settings(const ChainEnvironment& environment,
                                          const Profiles& profiles) {
  const Section& config = profiles.config();
  WebIdentitySettings settings;
  settings.token_file = env_or(environment, "AWS_WEB_IDENTITY_TOKEN_FILE",
                               setting(config, "web_identity_token_file"));
  settings.role_arn = env_or(environment, "AWS_ROLE_ARN", setting(config, "role_arn"));
  settings.session_name =
      env_or(environment, "AWS_ROLE_SESSION_NAME", setting(config, "role_session_name"));
  settings.region = env_or(environment, "AWS_REGION",
                           env_or(environment, "AWS_DEFAULT_REGION", setting(config, "region")));
  settings.sts_endpoint = env_or(environment, "AWS_ENDPOINT_URL_STS", "");
  return settings;
}

std::optional<Credentials> tagged(std::optional<Credentials> credentials, const char* source) {
  if (credentials) credentials->source = source;
  return credentials;
}

}  // namespace

Credentials resolve_credentials(const ChainEnvironment& environment) {
  if (auto found = tagged(environment_keys(environment), "environment")) return *found;
  const Profiles profiles = load_profiles(environment);
  if (is_assume_role(profiles.merged(profiles.name))) {
    return *tagged(assume_role_profile(environment, profiles, profiles.name), "assume role");
  }
  const WebIdentitySettings web = web_identity_settings(environment, profiles);
  if (!web.token_file.empty() && !web.role_arn.empty()) {
    return *tagged(assume_role_with_web_identity(environment, web), "web identity");
  }
  if (auto found = tagged(static_keys(profiles.credentials()), "shared credentials file")) {
    return *found;
  }
  if (auto found = tagged(process_credentials(environment, profiles.merged(profiles.name)),
                          "credential process")) {
    return *found;
  }
  if (auto found = tagged(static_keys(profiles.config()), "config file")) return *found;
  if (auto found = tagged(container_credentials(environment), "container endpoint")) {
    return *found;
  }
  if (auto found = tagged(instance_metadata_credentials(environment), "instance metadata")) {
    return *found;
  }
  throw CredentialError(
      "no AWS credentials found (tried the environment, profile " + profiles.name +
      " in the shared credentials and config files, web identity, the container endpoint and "
      "instance metadata); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or give Funnel a role");
}

const Credentials& CredentialCache::get() {
  const auto now = environment_.now();
  const bool due = !current_ || (current_->expiry && *current_->expiry - margin_ <= now);
  if (!due) return *current_;
  try {
    current_ = resolve_credentials(environment_);
    last_error_.clear();
  } catch (const CredentialError& error) {
    last_error_ = error.what();
    if (!current_ || (current_->expiry && *current_->expiry <= now)) throw;
  }
  return *current_;
}

}  // namespace funnel::aws
