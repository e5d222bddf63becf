// IamAuth and `funnel iam-token` (see iam_auth.hpp). Logs say which credential source signed
// and when; never the token, the secret key or the session token.
#include "server/iam_auth.hpp"

#include <cstdio>

#include <spdlog/spdlog.h>

namespace funnel::server {

aws::IamTokenRequest iam_request_from(const config::BackendConfig& backend) {
  return {.user = backend.iam_user,
          .cache_id = backend.iam_cache_id,
          .region = backend.iam_region,
          .service = backend.iam_service,
          .serverless = backend.iam_serverless != 0};
}

IamAuth::IamAuth(const config::BackendConfig& backend,
                 std::shared_ptr<backend::CredentialSource> credentials,
                 aws::ChainEnvironment world)
    : request_(iam_request_from(backend)),
      user_(backend.iam_user),
      interval_(backend.iam_token_refresh_s),
      credentials_(std::move(credentials)),
      cache_(std::move(world)) {
  if (std::string problem = aws::check_iam_request(request_); !problem.empty()) {
    throw aws::CredentialError("IAM authentication: " + problem);
  }
}

IamAuth::~IamAuth() = default;

void IamAuth::renew() {
  std::lock_guard lock(mutex_);
  const aws::Credentials& signing = cache_.get();  // throws when none can be had
  if (!cache_.last_error().empty()) {
    spdlog::warn(
        "IAM authentication: refreshing AWS credentials failed ({}); signing with the "
        "previous ones from {} until they expire",
        cache_.last_error(), aws::describe(signing));
  }
  backend::BackendCredentials next;
  next.user = user_;
  next.password = std::make_shared<const std::string>(
      aws::make_iam_token(request_, signing, cache_.environment().now()));
  credentials_->set(std::move(next));
  if (renewals_++ == 0) {
    spdlog::info(
        "IAM authentication: links log in as {} with {} tokens for {} in {}, signed "
        "with credentials from {}; renewed every {} s",
        user_, request_.service, request_.cache_id, request_.region, aws::describe(signing),
        interval_.count());
  }
}

std::uint64_t IamAuth::renewals() const {
  std::lock_guard lock(mutex_);
  return renewals_;
}

void IamAuth::start(asio::io_context& io) {
  timer_ = std::make_unique<SteadyTimer>(io);
  schedule();
}

void IamAuth::schedule() {
  timer_->expires_after(interval_);
  timer_->async_wait([this](boost::system::error_code error) {
    if (error) return;  // cancelled: stopping
    try {
      renew();
    } catch (const aws::CredentialError& failure) {
      spdlog::error(
          "IAM authentication: cannot make a new token ({}); new links use the last "
          "one until it expires; trying again in {} s",
          failure.what(), interval_.count());
    }
    schedule();
  });
}

int print_iam_token(const config::IamTokenOptions& options, const aws::ChainEnvironment& world) {
  const aws::IamTokenRequest request{.user = options.user,
                                     .cache_id = options.cache_id,
                                     .region = options.region,
                                     .service = options.service,
                                     .serverless = options.serverless};
  if (std::string problem = aws::check_iam_request(request); !problem.empty()) {
    std::fprintf(stderr, "funnel iam-token: %s\n", problem.c_str());
    return 2;
  }
  auto at = world.now();
  if (!options.at.empty()) {
    auto parsed = aws::parse_iso8601(options.at);
    if (!parsed) {
      std::fprintf(stderr,
                   "funnel iam-token: --at %s is not an ISO-8601 UTC time; give e.g. "
                   "2026-01-02T03:04:05Z\n",
                   options.at.c_str());
      return 2;
    }
    at = *parsed;
  }
  try {
    const aws::Credentials credentials = aws::resolve_credentials(world);
    std::printf("%s\n", aws::make_iam_token(request, credentials, at).c_str());
    return 0;
  } catch (const aws::CredentialError& error) {
    std::fprintf(stderr, "funnel iam-token: %s\n", error.what());
    return 1;
  }
}

}  // namespace funnel::server
