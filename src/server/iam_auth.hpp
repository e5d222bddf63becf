// IAM authentication of the backend links (issue #19; docs/aws.md): makes the ElastiCache/
// MemoryDB IAM token from the AWS credential chain and installs it as the links' password in the
// shared CredentialSource, so every link that connects from then on AUTHs with a fresh token.
// Renewed on the control thread every backend.iam_token_refresh_s (tokens live 15 minutes);
// credentials are refreshed 10 minutes before they expire. Open links keep their session (the
// service ends connections after 12 hours; re-AUTH of open links is not done yet).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "aws/credential_chain.hpp"
#include "aws/iam_token.hpp"
#include "backend/link_settings.hpp"
#include "config/config.hpp"
#include "net/asio_types.hpp"

namespace funnel::server {

aws::IamTokenRequest iam_request_from(const config::BackendConfig& backend);

class IamAuth {
 public:
  IamAuth(const config::BackendConfig& backend,
          std::shared_ptr<backend::CredentialSource> credentials, aws::ChainEnvironment world);
  ~IamAuth();

  // Makes a token now and installs it. Throws aws::CredentialError when no credentials can be
  // had (at start: Funnel refuses to start and says why). Thread-safe.
  void renew();
  // Renews every refresh interval on `io` (the control thread's loop), which must outlive this
  // object (Process declares iam_auth_ after control_). A failed renewal is logged (never with a
  // secret) and tried again next round; the installed token stays until then.
  void start(asio::io_context& io);
  std::uint64_t renewals() const;

 private:
  void schedule();

  aws::IamTokenRequest request_;
  std::string user_;
  std::chrono::seconds interval_;
  std::shared_ptr<backend::CredentialSource> credentials_;
  mutable std::mutex mutex_;  // the cache: renew() runs on the control thread and on SIGHUP
  aws::CredentialCache cache_;
  std::uint64_t renewals_ = 0;
  std::unique_ptr<SteadyTimer> timer_;
};

// `funnel iam-token ...`: prints the token for `options` to stdout. Returns the exit code;
// errors go to stderr as one line.
int print_iam_token(const config::IamTokenOptions& options, const aws::ChainEnvironment& world);

}  // namespace funnel::server
