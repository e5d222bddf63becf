// ClientSession's side of users kept in the backend (auth.users_from_backend): a remembered
// verdict answers at once; otherwise the AUTH (or HELLO AUTH) waits, with reading paused, for the
// backend's check on the control thread (server/backend_auth.hpp), and is answered in its place.
// The AUTH throttle admits the check first, so guesses reach the backend no faster than failures
// are let through (security::AuthThrottle::begin_check).
#include <boost/asio/post.hpp>

#include "client/client_session.hpp"

namespace funnel::client {
namespace {

constexpr std::string_view kWrongPass =
    "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

}  // namespace

ClientSession::Login ClientSession::log_in_backend(std::string_view user, std::string_view password,
                                                   std::uint64_t seq) {
  security::BackendUserCache& cache = ctx_.backend_users->cache();
  const common::Millis now = common::coarse_now_ms();
  security::BackendAuthResult known;
  if (cache.find(cache.credential_key(user, password), now, known)) {
    if (known.verdict == security::BackendVerdict::kLoggedIn) {
      act_as_backend_user(std::move(known.user));
      return Login::kLoggedIn;
    }
    on_auth_failure();
    return Login::kFailed;
  }
  std::string key = throttle_key();
  if (ctx_.auth_throttle != nullptr && !ctx_.auth_throttle->begin_check(key, now)) {
    // More guesses in flight from this address than it may still fail: refused unchecked.
    ctx_.metrics->auth_failures.add();
    ctx_.auth_throttle->on_failure(key, now, true);
    close(metrics::CloseReason::kAuthGuessing);
    return Login::kPending;  // closed: nothing is answered
  }
  auth_delayed_ = true;  // nothing more is read until the answer is in
  reading_paused_ = true;
  SessionContext* ctx = &ctx_;
  const SessionRegistry::Handle handle = handle_;
  const bool silent = silent_;
  ctx_.backend_users->check(
      std::string(user), std::string(password), ctx_.users,
      [ctx, handle, seq, silent, key = std::move(key)](security::BackendAuthResult result) {
        asio::post(ctx->io, [ctx, handle, seq, silent, key, result = std::move(result)] {
          if (ctx->auth_throttle != nullptr) ctx->auth_throttle->end_check(key);
          ClientSession* session = ctx->registry.find(handle.index, handle.generation);
          if (session != nullptr) session->finish_backend_login(seq, silent, result);
        });
      });
  return Login::kPending;
}

void ClientSession::act_as_backend_user(std::shared_ptr<const security::User> user) {
  if (rare_->backend_login == nullptr) rare().backend_login = std::make_unique<BackendLogin>();
  // The previous user leaves its connection count before its object may go (a backend user's
  // lives in the rare block's backend_login); backend users have no limits, so the switch always
  // succeeds.
  const std::shared_ptr<const security::User> previous = std::move(rare().backend_login->user);
  rare().backend_login->user = std::move(user);
  (void)switch_user(rare().backend_login->user.get());
}

void ClientSession::finish_backend_login(std::uint64_t seq, bool silent,
                                         const security::BackendAuthResult& result) {
  auth_delayed_ = false;
  if (closed_) return;
  std::unique_ptr<PendingHello> hello;
  if (rare_->backend_login != nullptr) hello = std::move(rare().backend_login->hello);
  switch (result.verdict) {
    case security::BackendVerdict::kLoggedIn:
      act_as_backend_user(result.user);
      if (hello != nullptr) return finish_hello(seq, silent, *hello);
      return answer(seq, silent ? std::string_view() : std::string_view("+OK\r\n"));
    case security::BackendVerdict::kWrongPass:
      on_auth_failure();
      if (closed_) return;
      if (auth_delayed_) return hold_auth_reply(seq);
      return answer(seq, silent ? std::string_view() : kWrongPass);
    case security::BackendVerdict::kRefused:
    case security::BackendVerdict::kUnavailable:
      return answer(seq, silent ? "" : "-ERR funnel: " + result.text + "\r\n");
  }
}

// HELLO's remaining steps once its AUTH succeeded (cmd_hello's, in the same order).
void ClientSession::finish_hello(std::uint64_t seq, bool silent, const PendingHello& hello) {
  if (hello.has_name) set_name(hello.name);
  state_.protocol = hello.protocol;
  std::string reply;
  write_hello_reply(reply);
  answer(seq, silent ? std::string_view() : std::string_view(reply));
}

bool ClientSession::rebind_backend_user(security::BackendUserCache& cache) {
  if (rare_->backend_login == nullptr || rare_->backend_login->user == nullptr) return true;
  std::shared_ptr<const security::User> now = cache.current(rare_->backend_login->user->name());
  if (now == nullptr || !now->enabled()) return false;  // ACL DELUSER, or the user was turned off
  act_as_backend_user(std::move(now));
  return true;
}

}  // namespace funnel::client
