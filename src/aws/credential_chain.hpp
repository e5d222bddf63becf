// The AWS credential chain in botocore's order: environment, assume-role profiles (STS
// AssumeRole), web identity (STS AssumeRoleWithWebIdentity), shared credentials file,
// credential_process, config file, the ECS/EKS container endpoint, EC2 instance metadata
// (IMDSv2). The first source that is configured decides: one
// that is configured but fails is an error, as in botocore (IMDS, which is only probed, is the
// exception). Blocking HTTP: call on the control thread only, never on a worker.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/http_client.hpp"

namespace funnel::aws {

// What a credential_process command left: its exit status and its standard output.
struct ProcessResult {
  int exit_code = -1;    // -1: it did not start or did not finish (error says why)
  std::string output{};  // standard output (the credentials: never logged), capped at kMaxBody
  std::string error{};
};

// Runs argv[0] (looked up in PATH, no shell) with argv, standard input from /dev/null, its
// standard error Funnel's own; killed when it runs longer than `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// What the chain reads from the outside world, replaceable in tests.
struct ChainEnvironment {
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::function<std::optional<std::string>(const std::string&)> read_file;
  std::function<HttpResponse(const HttpRequest&)> http;
  std::function<Clock::time_point()> now;
  std::function<ProcessResult(const std::vector<std::string>&)> run;

  // The process's environment, files, HTTP and clock.
  static ChainEnvironment system();
};

// A configured source failed, or no source has credentials. The message names the source and
// what to do; it never contains a secret.
class CredentialError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Walks the chain once. Throws CredentialError.
Credentials resolve_credentials(const ChainEnvironment& environment);

// Keeps the last credentials and resolves again when they are within `margin` of their expiry
// (botocore refreshes 10 minutes before, the mandatory refresh window). Not thread-safe: the
// control thread owns it.
class CredentialCache {
 public:
  explicit CredentialCache(ChainEnvironment environment,
                           std::chrono::seconds margin = std::chrono::minutes(10))
      : environment_(std::move(environment)), margin_(margin) {}

  // The current credentials, refreshed first when due. When a refresh fails but the old
  // credentials have not expired yet, keeps them (and sets last_error()); otherwise throws.
  const Credentials& get();
  const std::string& last_error() const { return last_error_; }
  const ChainEnvironment& environment() const { return environment_; }

 private:
  ChainEnvironment environment_;
  std::chrono::seconds margin_;
  std::optional<Credentials> current_;
  std::string last_error_;
};

}  // namespace funnel::aws
