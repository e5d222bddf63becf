// The worker's side of accept smoothing (server.accept_rate_per_s; the decisions are
// server/accept_pacer.hpp's): when the pace allows no more connections, the rest stay in the
// kernel's listen backlog (the handshake is done there, nothing is refused) and a timer takes the
// next ones when the pace, or the delay bound, allows. Edges that come meanwhile wait for it.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "server/client_socket_options.hpp"
#include "server/process.hpp"
#include "server/worker.hpp"

namespace funnel::server {

void Worker::configure_accept_pace() {
  const config::ServerConfig& server = config_.server;
  const AcceptPace pace = accept_pace_share(server.accept_rate_per_s, server.accept_burst,
                                            server.accept_max_delay_ms, config_.server.workers);
  const common::Millis now = common::coarse_now_ms();
  listen_target_.pacer.configure(pace, now);
  tls_listen_target_.pacer.configure(pace, now);
}

// The allowance is spent: whatever is left in the backlog is taken when the timer fires (a
// spurious turn finds the backlog empty and ends the pacing). Thread: this worker's.
void Worker::pace_accepts(ListenTarget& target, Acceptor& acceptor, common::Millis now) {
  target.pacer.deferred(now);
  target.pacing = true;
  if (!target.pace_timer) target.pace_timer = std::make_unique<SteadyTimer>(io_.get_executor());
  target.pace_timer->expires_after(std::chrono::milliseconds(target.pacer.retry_in_ms(now)));
  const bool tls = target.tls;
  target.pace_timer->async_wait([this, &target, &acceptor, tls](boost::system::error_code ec) {
    target.pacing = false;
    if (ec || context_->draining || !accepting_ || !acceptor.is_open()) return;
    accept_waiting(acceptor, tls);
  });
}

// With accept smoothing the excess of a burst waits in the listen backlog; when that is full the
// kernel drops SYNs and clients retransmit after 1, 3, 7 s. Say so at start rather than after.
void Process::warn_if_backlog_small() const {
  const config::ServerConfig& server = config_.server;
  if (server.accept_rate_per_s == 0) return;
  const int cap = listen_backlog_cap();
  const std::uint64_t per_worker = server.accept_rate_per_s / std::max(1u, server.workers);
  const std::uint64_t waiting = per_worker * server.accept_max_delay_ms / 1000;
  if (cap >= 0 && static_cast<std::uint64_t>(cap) < std::max<std::uint64_t>(waiting, 1024)) {
    spdlog::warn(
        "net.core.somaxconn is {}: each listener's backlog holds at most {} connections waiting "
        "for accept (server.accept_rate_per_s = {}); a burst beyond it has its SYNs dropped and "
        "retries for seconds. Raise it: sysctl -w net.core.somaxconn=65535",
        cap, cap, server.accept_rate_per_s);
  }
}

}  // namespace funnel::server
