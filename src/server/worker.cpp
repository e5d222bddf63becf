// Worker: accept loop with client limits, periodic tick (timeouts, idle clients), and the thread
// hop of the batches other workers' ReplyRouters post to this one.
#include "server/worker.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "backend/write_batch.hpp"
#include "client/client_session.hpp"
#include "command/command_table.hpp"
#include "net/poller.hpp"
#include "server/client_socket_options.hpp"
#include "server/process.hpp"

namespace funnel::server {
namespace {
constexpr auto kTickInterval = std::chrono::milliseconds(100);
constexpr std::string_view kMaxClientsReply = "-ERR max number of clients reached\r\n";
using metrics::ProcessCounters;
}  // namespace

Worker::Worker(Process& process, unsigned index)
    : process_(process),
      index_(index),
      config_(process.config()),
      acceptor_(io_.get_executor()),
      tick_timer_(io_.get_executor()) {
  poller_ = std::make_unique<net::Poller>(io_);
  if (!poller_->ok()) throw std::runtime_error("cannot create the epoll set for client sockets");
  metrics_ = std::make_unique<metrics::WorkerMetrics>();
  context_ = std::make_unique<client::SessionContext>(io_, index, config_, process.facts());
  context_->metrics = metrics_.get();
  context_->poller = poller_.get();
  context_->users = process.users();
  context_->auth_throttle = &process.auth_throttle();
  context_->backend_users = process.backend_users();
  context_->admin = &process;
  apply_limits();
  context_->cluster = process.config().cluster.enabled();
  // Views into the process's configuration, which outlives the workers (cluster.* need a restart).
  context_->cluster_address = client::announced_address(process.config());
  const auto& config = process.config();
  // The primary's pool and every replica's are wired the same way; only the node differs.
  const backend::PoolShape shape{index, static_cast<unsigned>(config.server.workers),
                                 config.backend.connections_per_node};
  router_ = std::make_unique<client::ReplyRouter>(*context_, process, config.server.workers);
  const auto make_pool = [this, &process](backend::PoolShape pool_shape) {
    return std::make_unique<backend::BackendPool>(io_, process.link_settings(), pool_shape,
                                                  *router_, *router_, process.counters());
  };
  pool_ = make_pool(shape);
  context_->pool = pool_.get();
  context_->coalesce = client::make_coalesce_settings(config.shield);
  if (process.near_cache_guard() != nullptr) {
    near_cache_ = std::make_unique<client::NearCache>(config.shield, *process.near_cache_guard());
    context_->near_cache = near_cache_.get();
    if (config.server.workers > 1) {
      near_cache_->share = [&process, index](routing::SharedEntry entry) {
        process.share_near_cache_entry(index, std::move(entry));
      };
    }
  }
  context_->latency_slots.fill(static_cast<std::uint8_t>(metrics::kLatencyCommands));
  for (std::size_t slot = 0; slot < metrics::kLatencyCommands; ++slot) {
    const std::uint16_t id = command::command_id(metrics::kLatencyCommandNames[slot]);
    if (id < context_->latency_slots.size())
      context_->latency_slots[id] = static_cast<std::uint8_t>(slot);
  }
  if (config.shield.hotkeys_sample_every > 0)
    context_->hot_key_countdown = config.shield.hotkeys_sample_every;
  replicas_ = std::make_unique<backend::ReplicaPools>(shape, make_pool);
  router_->set_replicas(replicas_.get());
  make_cluster_pools(shape, make_pool);
  reads_ = std::make_unique<client::ReadRoutes>(process.read_policy(), process.read_your_writes());
  context_->reads = reads_.get();
  context_->writes = &process.write_watermark();
  context_->blocking_order = &process.blocking_order();
  context_->pause_gate = process.link_settings().pause_gate.get();
  context_->failover_gate = process.link_settings().failover_gate.get();
  context_->shard_hold_gate = process.link_settings().shard_hold_gate.get();
  process.blocking_order().set_waker(
      index, [this] { asio::post(io_, [this] { client::resume_turn_waiters(*context_); }); });
  pinned_ = std::make_unique<backend::PinnedPool>(
      io_, process.link_settings(),
      backend::PinnedLimits{config.backend.max_pinned, config.backend.pinned_borrow_timeout_ms},
      *router_, process.counters());
  context_->pinned = pinned_.get();
  pinned_->set_link_event_hook([this] {
    if (!context_->turn_waiters.empty()) client::resume_turn_waiters(*context_);
  });
  pool_->set_metrics(metrics_.get());
  replicas_->set_metrics(metrics_.get());
  pinned_->set_metrics(metrics_.get());
  pinned_->set_redirect_hook([&process] { process.request_cluster_refresh(); });
  pubsub_port_ = std::make_unique<PubsubPort>(io_, index, process.pubsub_hub());
  context_->pubsub = pubsub_port_.get();
  context_->pubsub_counts = &process.pubsub_hub().counts();
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

Worker::~Worker() {
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

void Worker::open_listener() {
  const auto& tls = process_.config().tls;
  acceptor_tls_ = tls.enabled() && !tls.listen;
  if (tls.listen) open_tls_listener(*tls.listen);
  open_client_listener(acceptor_, process_.config().server.listen, "server.listen", "--listen",
                       process_.config().server.tcp_keepalive_s);
}

void Worker::start(backend::SnapshotPtr snapshot) {
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this, snapshot] {
    pool_->start(snapshot);
    apply_snapshot(snapshot);
    poller_->start();
    accept_next();
    if (tls_acceptor_) accept_next_tls();
    schedule_tick();
    io_.run();
    // Run what stop() left behind (cancelled waits, deferred deletes) so nothing leaks at exit.
    io_.restart();
    io_.poll();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::publish(backend::SnapshotPtr snapshot) {
  asio::post(io_, [this, snapshot] {
    pool_->update_snapshot(snapshot);
    apply_snapshot(snapshot);
    // A new primary: the held requests go to it now, not at the next tick.
    if (!context_->failover_waiters.empty()) check_failover_waiters(common::coarse_now_ms());
    if (!context_->shard_waiters.empty()) {
      client::check_shard_waiters(*context_, common::coarse_now_ms());  // maybe promoted
    }
  });
}

void Worker::wake_held() {
  asio::post(io_, [this] { release_held(common::coarse_now_ms()); });
}

void Worker::release_held(common::Millis now) {
  if (!context_->pause_waiters.empty() && !context_->pause_gate->holds_writes()) {
    client::resume_pause_waiters(*context_);  // the pause expired, or ended on another thread
  }
  if (!context_->failover_waiters.empty()) check_failover_waiters(now);
  if (!context_->shard_waiters.empty()) client::check_shard_waiters(*context_, now);
}

void Worker::check_failover_waiters(common::Millis now) {
  const bool over = !context_->failover_gate->holding_slow(context_->snapshot->epoch, now);
  client::check_failover_waiters(*context_, over, now);
}

void Worker::apply_snapshot(const backend::SnapshotPtr& snapshot) {
  context_->snapshot = snapshot;
  pinned_->set_snapshot(snapshot);
  replicas_->update(*snapshot);
  reads_->update(*snapshot, *replicas_, *pool_);
  context_->route_reads = reads_->active();
  // Writes are tracked whenever replicas exist, not only while reads go to them: a reload can
  // turn the read policy on between a client's write and its next read.
  context_->track_writes =
      !snapshot->replicas.empty() && reads_->read_your_writes() != client::ReadYourWrites::kOff;
  if (snapshot->cluster) [[unlikely]]
    apply_cluster(*snapshot);
}

void Worker::begin_drain() {
  asio::post(io_, [this] {
    context_->draining = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (tls_acceptor_) tls_acceptor_->close(ignored);
    context_->registry.for_each([](client::ClientSession& session) { session.begin_drain(); });
  });
}

void Worker::stop() {
  asio::post(io_, [this] {
    context_->registry.for_each(
        [](client::ClientSession& session) { session.close(metrics::CloseReason::kShutdown); });
    pool_->shutdown();
    pinned_->shutdown();
    replicas_->shutdown();
    cluster_primaries_->shutdown();
    cluster_replicas_->shutdown();
    cluster_pinned_->shutdown();
    tick_timer_.cancel();
    if (listen_target_.pace_timer) listen_target_.pace_timer->cancel();
    if (tls_listen_target_.pace_timer) tls_listen_target_.pace_timer->cancel();
    poller_->stop();
    work_.reset();
    // Let the closes above finish their posted clean-up, then stop.
    asio::post(io_, [this] { io_.stop(); });
  });
}

void Worker::accept_next() {
  watch_listener(listen_target_, acceptor_, acceptor_tls_);
}

// The listener joins the poller's set once; its edges come with the clients' (one epoll_wait for
// both). Connections are then taken with accept4 (non-blocking, close-on-exec; TCP_NODELAY and
// keepalive come from the listener) until the backlog is empty, which ends the edge. Asio's
// async_accept would register every new socket with Asio's reactor, and a client's socket is
// watched by the worker's net::Poller instead.
void Worker::watch_listener(ListenTarget& target, Acceptor& acceptor, bool tls) {
  target.worker = this;
  target.acceptor = &acceptor;
  target.tls = tls;
  if (!poller_->add(acceptor.native_handle(), &target)) {
    return on_accept_error(boost::system::error_code(errno, boost::system::system_category()),
                           acceptor, tls);
  }
  target.registered = true;
  accept_waiting(acceptor, tls);  // connections queued before the registration
}

void Worker::ListenTarget::on_poll_events(std::uint32_t /*events*/) {
  if (!backing_off && !pacing && !worker->context_->draining && worker->accepting_) {
    worker->accept_waiting(*acceptor, tls);
  }
}

Worker::ListenTarget& Worker::listen_target(const Acceptor& acceptor) {
  return &acceptor == &acceptor_ ? listen_target_ : tls_listen_target_;
}

void Worker::accept_waiting(Acceptor& acceptor, bool tls) {
  // A bounded number per turn: a connection storm must not starve the clients already here.
  constexpr std::size_t kAcceptsPerTurn = 64;
  ListenTarget& target = listen_target(acceptor);
  const common::Millis now = target.pacer.limited() ? common::coarse_now_ms() : 0;
  const std::size_t allowed = std::min(kAcceptsPerTurn, target.pacer.allowance(now));
  for (std::size_t i = 0; i < allowed; ++i) {
    const int fd =
        ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      target.pacer.took(1);
      on_accepted(fd, tls);
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) {  // edge spent: the poller reports the next
      target.pacer.drained();
      return;
    }
    // The client gave up before we took it, or a signal: the next one may be fine.
    if (error == ECONNABORTED || error == EINTR || error == EPROTO) continue;
    return on_accept_error(boost::system::error_code(error, boost::system::system_category()),
                           acceptor, tls);
  }
  if (allowed < kAcceptsPerTurn) return pace_accepts(target, acceptor, now);
  asio::post(io_, [this, &acceptor, tls] {
    if (!context_->draining && accepting_) accept_waiting(acceptor, tls);
  });
}

void Worker::on_accepted(int fd, bool tls) {
  auto& counters = process_.counters();
  const auto max_clients = static_cast<std::int64_t>(config_.server.max_clients);
  // Reserve the place first so that workers accepting at once cannot overshoot the limit.
  if (counters.clients_connected.fetch_add(1, std::memory_order_relaxed) >= max_clients) {
    ProcessCounters::add(counters.clients_connected, -1);
    // Redis's answer, so clients and their retry logic recognise it.
    (void)!::send(fd, kMaxClientsReply.data(), kMaxClientsReply.size(), MSG_NOSIGNAL);
    ::close(fd);
    ProcessCounters::bump(counters.clients_rejected_max_clients);
    const common::Millis now = common::coarse_now_ms();
    if (now - last_limit_warning_ > 10000) {  // rate-limited: a storm must not flood the log
      last_limit_warning_ = now;
      spdlog::warn(
          "max_clients ({}) reached: refusing new clients with \"max number of clients "
          "reached\" ({} refused so far)",
          max_clients, ProcessCounters::read(counters.clients_rejected_max_clients));
    }
    return;
  }
  SSL* session_tls = nullptr;
  if (tls && (session_tls = new_tls_session(fd)) == nullptr) {
    ProcessCounters::add(counters.clients_connected, -1);
    ::close(fd);
    return;
  }
  ProcessCounters::bump(counters.clients_accepted);
  metrics_->clients_accepted.add();
  client::ClientSession::start(*context_, fd, process_.next_client_id(), session_tls);
}

void Worker::on_accept_error(const boost::system::error_code& ec, Acceptor& acceptor, bool tls) {
  if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec.value() == ENOBUFS ||
      ec.value() == ENOMEM) {
    refuse_without_descriptor(acceptor);
  } else {
    spdlog::warn("worker {}: {}accept failed: {}", index_, tls ? "TLS " : "", ec.message());
  }
  // Try again shortly: retrying at once would spin while the condition lasts. Meanwhile new
  // edges wait for the timer, which drains the backlog (and registers the listener if that is
  // what failed).
  ListenTarget& target = listen_target(acceptor);
  if (target.backing_off) return;
  target.backing_off = true;
  auto retry = std::make_shared<SteadyTimer>(io_.get_executor(), std::chrono::milliseconds(10));
  retry->async_wait([this, retry, &target, &acceptor, tls](boost::system::error_code wait_ec) {
    target.backing_off = false;
    if (wait_ec || context_->draining || !accepting_) return;
    if (!target.registered) return watch_listener(target, acceptor, tls);
    accept_waiting(acceptor, tls);
  });
}

// Out of descriptors: free the reserved one, accept the waiting client, tell it why, close it.
void Worker::refuse_without_descriptor(Acceptor& acceptor) {
  ProcessCounters::bump(process_.counters().clients_rejected_no_fd);
  const common::Millis now = common::coarse_now_ms();
  if (now - last_fd_warning_ > 10000) {
    last_fd_warning_ = now;
    spdlog::warn(
        "out of file descriptors (RLIMIT_NOFILE): refusing new clients; raise the limit "
        "or lower server.max_clients");
  }
  if (reserve_fd_ < 0) return;
  ::close(reserve_fd_);
  const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) {
    (void)!::write(fd, kMaxClientsReply.data(), kMaxClientsReply.size());
    ::close(fd);
  }
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void Worker::schedule_tick() {
  tick_timer_.expires_after(kTickInterval);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) on_tick();
  });
}

void Worker::on_tick() {
  const common::Millis now = common::coarse_now_ms();
  pool_->tick(now);
  if (context_->facts.hotkeys != nullptr) context_->facts.hotkeys->publish(index_, now);
  pinned_->tick(now);
  replicas_->tick(now);
  cluster_primaries_->tick(now);
  cluster_replicas_->tick(now);
  cluster_pinned_->tick(now);
  router_->expire_parked(now);
  if (spread_) spread_close_tick(now);
  if (!context_->turn_waiters.empty()) client::resume_turn_waiters(*context_);
  release_held(now);  // a pause that expired, a failover hold past its deadline
  if (context_->backend_users != nullptr) rebind_backend_users();
  clients_.store(context_->registry.size(), std::memory_order_relaxed);
  if (context_->draining && context_->registry.size() == 0 && pool_->in_flight() == 0 &&
      replicas_->in_flight() == 0 && cluster_primaries_->in_flight() == 0 &&
      cluster_replicas_->in_flight() == 0) {
    drained_.store(true, std::memory_order_release);
  }
  const auto idle_s = config_.server.idle_client_timeout_s;
  if (++ticks_ % 10 == 0) give_back_memory();
  if (ticks_ % 10 == 0) {
    const common::Millis limit = config_.backend.request_timeout_ms;  // reloadable
    context_->registry.for_each(
        [&](client::ClientSession& session) { session.expire_pending_subscribe(now, limit); });
  }
  if (ticks_ % 10 == 0 && idle_s > 0) {
    const common::Millis limit = static_cast<common::Millis>(idle_s) * 1000;
    context_->registry.for_each([&](client::ClientSession& session) {
      if (session.idle_for(now, limit)) {
        ProcessCounters::bump(process_.counters().clients_closed_idle);
        session.close(metrics::CloseReason::kIdleTimeout);
      }
    });
  }
  schedule_tick();
}

// After a burst of clients has left, hand the freed heap back to the system: glibc keeps freed
// chunks in its arenas otherwise, and an instance that once served a spike would stay large.
void Worker::give_back_memory() {
  const std::size_t sessions = context_->registry.size();
  context_->session_slab.trim(sessions);  // closed sessions' blocks beyond what the fleet needs
  peak_sessions_ = std::max(peak_sessions_, sessions);
  const bool clients_left = peak_sessions_ >= 256 && sessions <= peak_sessions_ / 4;
  // A burst of clients connecting at once leaves buffer-sized holes between the sessions that
  // stay: trim after a megabyte of buffers went back to the heap, too.
  freed_since_trim_ += context_->buffers.take_freed_bytes();
  if (clients_left || freed_since_trim_ >= (1u << 20)) {
    ::malloc_trim(0);
    peak_sessions_ = sessions;
    freed_since_trim_ = 0;
  }
}

void Worker::accept_handoff(client::HandoffBatch batch) {
  asio::post(io_, [this, batch = std::move(batch)] { router_->accept_requests(batch); });
}

void Worker::accept_replies(client::ReplyBatch batch) {
  asio::post(io_, [this, batch = std::move(batch)] { router_->accept_replies(batch); });
}

void Worker::accept_near_cache_entry(routing::SharedEntry entry) {
  asio::post(io_, [this, entry = std::move(entry)] {
    near_cache_->accept(entry);
    client::note_near_cache_size(*near_cache_, *context_->metrics);
  });
}

void Worker::accept_pubsub(client::PubsubDelivery batch) {
  asio::post(io_, [this, batch = std::move(batch)] { client::dispatch_pubsub(*context_, batch); });
}

}  // namespace funnel::server
