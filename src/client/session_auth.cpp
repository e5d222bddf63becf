// ClientSession's authentication and permission steps: AUTH, logging in (also for HELLO AUTH),
// slowing down password guessing (holding failed AUTH replies, closing guessing connections), the
// per-request access check, and the texts for requests too large before AUTH. The rules themselves
// live in src/security (no I/O).
#include <chrono>

#include "client/client_session.hpp"
#include "security/access_check.hpp"
#include "security/user_limits.hpp"

namespace funnel::client {
namespace {

constexpr std::string_view kWrongPass =
    "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

// Parser errors that mean "too large" (as opposed to malformed): before AUTH they are the
// unauthenticated limit at work, and the client is told so.
bool is_size_error(std::string_view message) {
  return message.starts_with("request exceeds") || message.starts_with("too big") ||
         message == "invalid multibulk length" || message == "invalid bulk length";
}

}  // namespace

void ClientSession::cmd_auth(LocalCall& call) {
  const resp::Request& r = call.request;
  std::string& out = call.out;
  if (r.argc() > 3) {
    out = "-ERR syntax error\r\n";
    return;
  }
  if (r.argc() == 2 && ctx_.users->default_is_nopass()) {
    out =
        "-ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?\r\n";
    return;
  }
  const std::string_view user = r.argc() == 3 ? r.arg(1) : std::string_view("default");
  switch (log_in(user, r.arg(r.argc() - 1), call.seq)) {
    case Login::kLoggedIn:
      out = "+OK\r\n";
      return;
    case Login::kFailed:
      out = kWrongPass;
      return;
    case Login::kFull:
      out = "-" + full_user_error(user) + "\r\n";
      return;
    case Login::kPending:
      call.answered = true;  // finish_backend_login answers
      return;
  }
}

// On failure the session keeps the user it had (Redis does the same), so a client that was
// never authenticated stays so and every command it pipelined after the AUTH gets NOAUTH.
// Configured users come first: a name Funnel knows is decided here alone; with
// auth.users_from_backend, any other name is checked by the backend. A configured user already
// holding its max_connections refuses the login (kFull) and the session keeps its user.
ClientSession::Login ClientSession::log_in(std::string_view user, std::string_view password,
                                           std::uint64_t seq) {
  const security::User* found = ctx_.users->authenticate(user, password);
  if (found != nullptr) {
    if (!switch_user(found)) {
      ctx_.metrics->auth_failures.add();
      return Login::kFull;
    }
    if (rare_->backend_login != nullptr)
      rare().backend_login.reset();  // after switch_user: it left the backend user's count first
    return Login::kLoggedIn;
  }
  if (ctx_.backend_users != nullptr && ctx_.users->find(user) == nullptr) [[unlikely]] {
    return log_in_backend(user, password, seq);
  }
  on_auth_failure();
  return Login::kFailed;
}

// The new directory's user of the same name shares the counters (UserDirectory::rebuild), so the
// connection stays counted; a removed user's count is given back before the session closes.
bool ClientSession::rebind_user(const security::UserDirectory& users) {
  if (state_.user == nullptr) return true;  // not logged in: its next AUTH uses the new users
  if (rare_->backend_login != nullptr && rare_->backend_login->user != nullptr) {
    return true;  // kept in the backend: its rules come from there
  }
  const security::User* next = users.find(state_.user->name());
  if (next == nullptr) switch_user(nullptr);
  state_.user = next;
  rate_limited_ = next != nullptr && next->limits().max_commands_per_s != 0;
  return state_.user != nullptr;
}

// The text for a login refused because the user holds its max_connections.
std::string ClientSession::full_user_error(std::string_view name) const {
  const security::User* user = ctx_.users->find(name);
  const std::uint32_t limit = user != nullptr ? user->limits().max_connections : 0;
  return security::user_connections_error(name, limit);
}

// Counts the failure and carries out the throttle's verdict (security::AuthThrottle): within the
// address's free failures the -WRONGPASS goes out at once; past them it is held (handle_local
// calls hold_auth_reply with the request's slot), or, on a connection that already had a held
// failure or past the bounds on held failures, the connection is closed at once, unanswered.
void ClientSession::on_auth_failure() {
  ctx_.metrics->auth_failures.add();
  if (ctx_.auth_throttle == nullptr) return;
  const security::AuthDecision decision = ctx_.auth_throttle->on_failure(
      throttle_key(), common::coarse_now_ms(), rare_->auth_delay != nullptr);
  switch (decision.verdict) {
    case security::AuthVerdict::kAnswer:
      return;
    case security::AuthVerdict::kClose:
      return close(metrics::CloseReason::kAuthGuessing);
    case security::AuthVerdict::kHold:
      if (!rare_->auth_delay)
        rare().auth_delay = std::make_unique<SteadyTimer>(ctx_.io.get_executor());
      rare_->auth_delay->expires_after(std::chrono::milliseconds(decision.delay_ms));
      auth_delayed_ = true;  // handle_local holds the reply; nothing after it is read meanwhile
      reading_paused_ = true;
      return;
  }
}

// The failed AUTH in slot `seq` is answered when the throttle's delay is over, in its place among
// the client's replies; then reading resumes (what was pipelined behind it gets NOAUTH, as from
// Redis, and another failure closes the connection). Its place in the throttle's bound is given
// back then, or when the connection closes first.
void ClientSession::hold_auth_reply(std::uint64_t seq) {
  ctx_.metrics->auth_delayed.add();
  const command::CommandSpec* spec = ctx_.classification.spec;
  const std::uint16_t command_id = spec != nullptr ? spec->id : 0;
  const std::int64_t started_ns = ctx_.batch_ns;
  const bool silent = silent_;
  ++pending_ops_;
  rare_->auth_delay->async_wait(
      [this, seq, command_id, started_ns, silent, key = throttle_key()](boost::system::error_code) {
        --pending_ops_;
        ctx_.auth_throttle->end_hold(key);
        auth_delayed_ = false;
        if (!closed_) {
          record(command_id, metrics::CommandClass::kLocal, kWrongPass,
                 common::precise_now_ns() - started_ns, 0);
          answer(seq, silent ? std::string_view() : kWrongPass);  // its flush resumes reading
        }
        maybe_destroy();
      });
}

// The client's address as the throttle counts it (IPv6 per /64).
std::string ClientSession::throttle_key() const {
  const auto peer = endpoint(true);
  if (!peer) return "?";
  const asio::ip::address address = peer->address();
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return security::throttle_key(bytes.data(), bytes.size());
  }
  const auto bytes = address.to_v6().to_bytes();
  return security::throttle_key(bytes.data(), bytes.size());
}

// Fills `storage` with the reply text for a parser error when the client has not authenticated
// and the error is about size; otherwise leaves it empty. Returns the message unchanged.
std::string_view ClientSession::parser_error_text(std::string_view message,
                                                  std::string& storage) const {
  if (state_.user == nullptr && is_size_error(message)) {
    storage = "ERR funnel: request too large for a client that has not authenticated (at most " +
              std::to_string(ctx_.config.limits.max_unauthenticated_request_bytes) +
              " bytes before AUTH, limits.max_unauthenticated_request_bytes); send AUTH first";
  }
  return message;
}

}  // namespace funnel::client
