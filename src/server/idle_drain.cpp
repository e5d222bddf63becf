// Worker's side of a takeover (server/takeover.hpp): the new process adopts the listening sockets
// the old one handed over; the old one stops accepting on them without closing the accept queue
// under anyone, then closes its idle clients spread over server.takeover_drain_ms so the fleet
// reconnects gradually (server/drain_schedule.hpp decides who and how many).
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "client/client_session.hpp"
#include "server/client_socket_options.hpp"
#include "server/process.hpp"
#include "server/takeover.hpp"
#include "server/worker.hpp"

namespace funnel::server {

void Worker::adopt_listeners(int client_fd, int tls_fd) {
  const auto& config = process_.config();
  if (client_fd < 0 && (tls_fd < 0 || !config.tls.listen)) return open_listener();
  acceptor_tls_ = config.tls.enabled() && !config.tls.listen;
  if (config.tls.listen) {
    tls_acceptor_ = std::make_unique<Acceptor>(io_.get_executor());
    if (tls_fd >= 0) {
      adopt_listener(*tls_acceptor_, tls_fd, config.server.tcp_keepalive_s);
    } else {
      open_client_listener(*tls_acceptor_, *config.tls.listen, "tls.listen", "--tls-listen",
                           config.server.tcp_keepalive_s);
    }
  }
  if (client_fd >= 0) {
    adopt_listener(acceptor_, client_fd, config.server.tcp_keepalive_s);
  } else {
    open_client_listener(acceptor_, config.server.listen, "server.listen", "--listen",
                         config.server.tcp_keepalive_s);
  }
}

int Worker::tls_listener_fd() {
  return tls_acceptor_ && tls_acceptor_->is_open() ? tls_acceptor_->native_handle() : -1;
}

void Worker::hand_over_listeners(std::function<void()> done) {
  asio::post(io_, [this, done = std::move(done)] {
    accepting_ = false;
    stop_listener(listen_target_, acceptor_);
    if (tls_acceptor_) stop_listener(tls_listen_target_, *tls_acceptor_);
    done();
  });
}

// Leaves the poller's set first: the epoll registration belongs to the socket, which the new
// process keeps open, so closing our descriptor alone would leave its edges coming here. Then
// our descriptor is closed; the socket and its queue live on in the new process.
void Worker::stop_listener(ListenTarget& target, Acceptor& acceptor) {
  if (!acceptor.is_open()) return;
  if (target.registered) (void)poller_->remove(acceptor.native_handle());
  target.registered = false;
  boost::system::error_code ignored;
  acceptor.close(ignored);
}

void Worker::begin_spread_close(std::int64_t window_ms) {
  asio::post(io_, [this, window_ms] {
    const common::Millis now = common::coarse_now_ms();
    spread_.emplace(SpreadClose{DrainSchedule(context_->registry.size(), window_ms), now});
    spdlog::info("worker {}: closing {} clients over {} ms as they fall idle", index_,
                 context_->registry.size(), window_ms);
    spread_close_tick(now);
  });
}

// One turn of the spread close (every tick): as many idle clients as the schedule says are due,
// and at the window's end every client that is not in the middle of a request (those finish under
// the final drain, which the process starts then).
void Worker::spread_close_tick(common::Millis now) {
  SpreadClose& spread = *spread_;
  const common::Millis elapsed = now - spread.start;
  const std::size_t due = spread.schedule.due(elapsed);
  const bool over = spread.schedule.over(elapsed);
  if (spread.closed >= due && !over) return;
  context_->registry.for_each([&](client::ClientSession& session) {
    const bool owed = spread.closed < due;
    if (!owed && !over) return;
    const ClientActivity activity = !session.between_requests() ? ClientActivity::kBusy
                                    : session.holds_state()     ? ClientActivity::kStateful
                                                                : ClientActivity::kIdle;
    if (!close_now(activity, owed, over)) return;
    session.close(metrics::CloseReason::kShutdown);
    ++spread.closed;
  });
  clients_.store(context_->registry.size(), std::memory_order_relaxed);
}

}  // namespace funnel::server
