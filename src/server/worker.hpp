// A worker: one thread, one event loop, its own listening socket (SO_REUSEPORT), its own client
// sessions and its own share of the backend links. Shared-nothing: the only cross-thread traffic
// is snapshot updates from the control thread and handoff batches between workers, which the
// worker only carries onto its thread: replies and hand-offs are client::ReplyRouter's.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "backend/backend_pool.hpp"
#include "backend/cluster_pinned_pools.hpp"
#include "backend/pinned_pool.hpp"
#include "backend/replica_pools.hpp"
#include "client/reply_router.hpp"
#include "client/session_context.hpp"
#include "net/poller.hpp"
#include "routing/near_cache_store.hpp"
#include "server/accept_pacer.hpp"
#include "server/drain_schedule.hpp"
#include "server/pubsub_hub.hpp"
#include "server/reload_apply.hpp"

typedef struct ssl_st SSL;  // NOLINT: OpenSSL's own forward declaration

namespace funnel::server {

class Process;

class Worker final {
 public:
  Worker(Process& process, unsigned index);
  ~Worker();

  // Binds this worker's listening socket. Throws std::runtime_error with a clear message.
  void open_listener();
  // Takeover (idle_drain.cpp): the new process serves on sockets received from the old one
  // (-1: none of that kind came; one is opened as open_listener() does). Before start().
  void adopt_listeners(int client_fd, int tls_fd);
  // The descriptors of this worker's listeners (-1 for none), to hand over. Any thread.
  int listener_fd() { return acceptor_.is_open() ? acceptor_.native_handle() : -1; }
  int tls_listener_fd();
  // The old process: stops accepting (the new one accepts on the same sockets) and calls `done`
  // on this worker's thread once it has; then closes its idle clients spread over `window_ms`,
  // stateful ones at the end (server/drain_schedule.hpp). Thread-safe.
  void hand_over_listeners(std::function<void()> done);
  void begin_spread_close(std::int64_t window_ms);
  // Starts the thread: links connect, the listener accepts.
  void start(backend::SnapshotPtr snapshot);
  void join();

  // Thread-safe entry points (they post to this worker's loop).
  void publish(backend::SnapshotPtr snapshot);
  // A pause or a failover hold ended (any thread): the held sessions go on now, not at the tick.
  void wake_held();
  // A configuration reload's live settings (reload_apply.cpp), applied between batches.
  // With `barrier`, arrives at it once applied.
  void apply_settings(LiveSettingsPtr settings, ReloadBarrierPtr barrier = nullptr);
  // After a reload changed connections_per_node and every worker resized its pools: the links
  // beyond the new count drain and close (backend/pool_resize.cpp).
  void retire_extra_links();
  void begin_drain();
  void stop();
  // Another worker's batch for this one's ReplyRouter (client::PeerWorkers, through Process).
  void accept_handoff(client::HandoffBatch batch);
  void accept_replies(client::ReplyBatch batch);
  void accept_pubsub(client::PubsubDelivery batch);
  // Another worker's near-cache entry (shield.near_cache on); posted to this worker's thread.
  void accept_near_cache_entry(routing::SharedEntry entry);

  // True once begin_drain() has run here and every client has had its last reply written.
  bool drained() const { return drained_.load(std::memory_order_acquire); }
  asio::io_context& io() { return io_; }
  unsigned index() const { return index_; }

  // This worker's counters; read by the metrics scraper on another thread (relaxed loads).
  const metrics::WorkerMetrics& metrics() const { return *metrics_; }
  // Links of this worker that are ready, and clients connected here (read from other threads).
  std::size_t clients() const { return clients_.load(std::memory_order_relaxed); }

 private:
  using Acceptor = asio::basic_socket_acceptor<asio::ip::tcp, Executor>;
  // A listening socket watched by the worker's net::Poller: registered once, edge-triggered.
  // Asio's async_wait re-armed it with an epoll_ctl on every wait, one system call per accepted
  // connection when clients arrive one at a time (a connection per invocation).
  struct ListenTarget final : net::PollTarget {
    Worker* worker = nullptr;
    Acceptor* acceptor = nullptr;
    bool tls = false;
    bool registered = false;   // in the poller's set
    bool backing_off = false;  // an accept error's retry timer runs: edges wait for it
    // Accept smoothing (accept_pacing.cpp): while `pacing`, edges wait for the pace timer.
    AcceptPacer pacer;
    bool pacing = false;
    std::unique_ptr<SteadyTimer> pace_timer;
    void on_poll_events(std::uint32_t events) override;
  };
  void accept_next();
  void accept_next_tls();
  void watch_listener(ListenTarget& target, Acceptor& acceptor, bool tls);
  ListenTarget& listen_target(const Acceptor& acceptor);
  void accept_waiting(Acceptor& acceptor, bool tls);
  void pace_accepts(ListenTarget& target, Acceptor& acceptor, common::Millis now);
  void configure_accept_pace();  // from config_ (start and reload)
  void open_tls_listener(const config::HostPort& listen);
  SSL* new_tls_session(int fd);
  void on_accepted(int fd, bool tls);
  void on_accept_error(const boost::system::error_code& ec, Acceptor& acceptor, bool tls);
  void refuse_without_descriptor(Acceptor& acceptor);
  void apply_snapshot(const backend::SnapshotPtr& snapshot);
  // The sessions held for a failover: released, failed or kept (client/session_failover.cpp).
  void check_failover_waiters(common::Millis now);
  void release_held(common::Millis now);  // the pause's and the failover's, if theirs ended
  void apply_limits();  // config_'s limits into the parsers and the slowlog threshold
  void resize_pools();  // config_'s connections_per_node into the pools
  void apply_pinned_and_sampling(unsigned sample_every_before);  // reload_apply.cpp
  void apply_users(std::shared_ptr<const security::UserDirectory> users);
  // Cluster mode (worker_cluster.cpp): pools for the layout's shards, and the slot routing.
  void make_cluster_pools(const backend::PoolShape& shape,
                          const backend::ReplicaPools::PoolFactory& make_pool);
  void apply_cluster(const backend::BackendSnapshot& snapshot);
  void schedule_tick();
  void on_tick();
  // Users kept in the backend whose rules changed: sessions rebind, or close when their user is
  // gone (worker_backend_users.cpp). On the tick; nothing to do unless the generation moved.
  void rebind_backend_users();
  void give_back_memory();
  void stop_listener(ListenTarget& target, Acceptor& acceptor);
  void spread_close_tick(common::Millis now);

  Process& process_;
  const unsigned index_;
  // The configuration this worker's sessions read (SessionContext::config): the process's, with
  // the live keys of each reload copied in on this thread (reload_apply.cpp).
  config::Config config_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<Executor>> work_;
  Acceptor acceptor_;
  // tls.listen: a TLS listener beside the plain one (listener_tls.cpp).
  std::unique_ptr<Acceptor> tls_acceptor_;
  bool acceptor_tls_ = false;  // server.listen itself speaks TLS (a certificate, no tls.listen)
  ListenTarget listen_target_;
  ListenTarget tls_listen_target_;
  SteadyTimer tick_timer_;
  std::unique_ptr<net::Poller> poller_;  // readiness of this worker's clients
  std::unique_ptr<metrics::WorkerMetrics> metrics_;
  std::unique_ptr<client::NearCache> near_cache_;  // shield.near_cache; outlives context_
  std::unique_ptr<client::SessionContext> context_;
  std::unique_ptr<client::ReplyRouter> router_;  // replies and hand-offs (the pools' sink)
  std::unique_ptr<backend::BackendPool> pool_;
  std::unique_ptr<backend::PinnedPool> pinned_;
  std::unique_ptr<backend::ReplicaPools> replicas_;  // read routing (issue #5)
  // Cluster mode (issue #16): the shard primaries other than the main node, and the shard
  // replicas when the read policy reads from replicas. Empty otherwise.
  std::unique_ptr<backend::ReplicaPools> cluster_primaries_;
  std::unique_ptr<backend::ReplicaPools> cluster_replicas_;
  std::unique_ptr<backend::ClusterPinnedPools> cluster_pinned_;  // shard primaries but the main
  std::unique_ptr<client::ReadRoutes> reads_;
  std::unique_ptr<PubsubPort> pubsub_port_;
  std::atomic<std::size_t> clients_{0};
  std::thread thread_;
  std::atomic<bool> drained_{false};
  unsigned ticks_ = 0;
  std::size_t peak_sessions_ = 0;  // since the last malloc_trim
  std::size_t freed_since_trim_ = 0;
  int reserve_fd_ = -1;    // kept open to accept-and-refuse when descriptors run out
  bool accepting_ = true;  // false once the listeners went to a new process (takeover)
  // The spread close after a takeover (idle_drain.cpp); empty otherwise.
  struct SpreadClose {
    DrainSchedule schedule;
    common::Millis start;
    std::size_t closed = 0;
  };
  std::optional<SpreadClose> spread_;
  common::Millis last_fd_warning_ = -100000;
  common::Millis last_limit_warning_ = -100000;
};

}  // namespace funnel::server
