// Fair admission, the session's side (issue #18 item 3; the rules are security/user_limits.hpp):
// each connection is counted against the user it acts as, and a user with max_commands_per_s
// spends its worker's share of tokens per command. Users without limits pay one branch per
// request (rate_limited_), and the count only when a connection starts, logs in or ends.
#include <sys/socket.h>

#include <algorithm>

#include "client/client_session.hpp"
#include "security/user_limits.hpp"

namespace funnel::client {

bool ClientSession::switch_user(const security::User* next) {
  if (next == state_.user) return true;
  if (next != nullptr && !security::enter_user(next->counters(), next->limits().max_connections)) {
    return false;
  }
  if (state_.user != nullptr) security::leave_user(state_.user->counters());
  state_.user = next;
  rate_limited_ = next != nullptr && next->limits().max_commands_per_s != 0;
  return true;
}

// A new connection whose default user is full: Redis's text for a full server (naming the user),
// then closed, as Redis does past maxclients. A TLS client gets no text: it has no session yet.
void ClientSession::refuse_full_user(const security::User& user) {
  if (!transport_.tls()) {
    const std::string text =
        "-" + security::user_connections_error(user.name(), user.limits().max_connections) + "\r\n";
    (void)!::send(transport_.fd(), text.data(), text.size(), MSG_NOSIGNAL);
  }
  close();
}

// Answers the request with the rate error when the user's share on this worker has no token
// left; true when it did. The share is the user's rate over the workers: each worker's bucket is
// its own (UserCounters::shares), so no lock and no shared atomic per request.
bool ClientSession::over_user_rate(const resp::Request& request) {
  const security::User& user = *state_.user;
  const std::uint32_t rate = user.limits().max_commands_per_s;
  const unsigned workers = std::max(1u, ctx_.config.server.workers);
  const double share = static_cast<double>(rate) / workers;
  const std::int64_t now_ms = ctx_.batch_ns / 1'000'000;
  const std::size_t worker = ctx_.worker_index % security::kMaxWorkers;
  const std::int64_t wait = user.counters().shares[worker].bucket.take(share, now_ms);
  if (wait == 0) return false;
  user.counters().refused_commands.fetch_add(1, std::memory_order_relaxed);
  ctx_.plan_scratch = security::user_rate_error(user.name(), rate, wait);
  carry_out(plan::Plan::error(ctx_.plan_scratch), request);
  return true;
}

}  // namespace funnel::client
