// A worker: one thread, one event loop, its own listening socket (SO_REUSEPORT), its own client
// sessions and its own share of the backend links. Shared-nothing: the only cross-thread traffic
// is snapshot updates from the control thread and handoff batches between workers.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "backend/backend_pool.hpp"
#include "backend/pinned_pool.hpp"
#include "backend/replica_pools.hpp"
#include "client/client_poller.hpp"
#include "client/session_context.hpp"
#include "server/handoff.hpp"
#include "server/pubsub_hub.hpp"
#include "tls/tls_io.hpp"

namespace funnel::server {

class Process;

class Worker final : public backend::ReplySink, public backend::PoolEvents {
 public:
  Worker(Process& process, unsigned index);
  ~Worker() override;

  // Binds this worker's listening socket. Throws std::runtime_error with a clear message.
  void open_listener();
  // Starts the thread: links connect, the listener accepts.
  void start(backend::SnapshotPtr snapshot);
  void join();

  // Thread-safe entry points (they post to this worker's loop).
  void publish(backend::SnapshotPtr snapshot);
  void begin_drain();
  void stop();
  void accept_handoff(HandoffBatch batch);
  void accept_replies(ReplyBatch batch);
  void accept_pubsub(client::PubsubDelivery batch);

  // True once begin_drain() has run here and every client has had its last reply written.
  bool drained() const { return drained_.load(std::memory_order_acquire); }
  asio::io_context& io() { return io_; }
  unsigned index() const { return index_; }

  // backend::ReplySink
  void deliver(const backend::ReplyTarget& target, std::string_view reply,
               const backend::ReplyTiming& timing) override;
  backend::PartVerdict deliver_part(const backend::ReplyTarget& target, std::string_view part,
                                    backend::PartKind kind, const backend::ReplyTiming& timing,
                                    const std::weak_ptr<backend::StreamSource>& source) override;
  // This worker's counters; read by the metrics scraper on another thread (relaxed loads).
  const metrics::WorkerMetrics& metrics() const { return *metrics_; }
  // Links of this worker that are ready, and clients connected here (read from other threads).
  std::size_t clients() const { return clients_.load(std::memory_order_relaxed); }
  // backend::PoolEvents
  void hand_off(unsigned owner_worker, std::uint32_t node, resp::Protocol protocol,
                unsigned link_index, std::string_view request, const backend::ReplyTarget& target,
                common::Millis deadline, std::uint32_t db) override;
  void request_reresolve(std::uint64_t epoch_seen) override;
  void retry_read(std::uint32_t node, resp::Protocol protocol, std::string_view request,
                  const backend::ReplyTarget& target, common::Millis deadline,
                  std::string_view reason, bool node_failed) override;

 private:
  using Acceptor = asio::basic_socket_acceptor<asio::ip::tcp, Executor>;
  void accept_next();
  void accept_next_tls();
  void wait_to_accept(Acceptor& acceptor, bool tls);
  void accept_waiting(Acceptor& acceptor, bool tls);
  void open_tls_listener(const config::HostPort& listen);
  SSL* new_tls_session(int fd);
  void on_accepted(int fd, bool tls);
  void on_accept_error(const boost::system::error_code& ec, Acceptor& acceptor, bool tls);
  void refuse_without_descriptor(Acceptor& acceptor);
  void apply_snapshot(const backend::SnapshotPtr& snapshot);
  void schedule_tick();
  void arm_turn_timer(std::int64_t due_ns);
  void on_tick();
  void give_back_memory();
  void schedule_batch_flush();
  void flush_batches();

  Process& process_;
  const unsigned index_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<Executor>> work_;
  Acceptor acceptor_;
  // tls.listen: a TLS listener beside the plain one (listener_tls.cpp).
  std::unique_ptr<Acceptor> tls_acceptor_;
  bool acceptor_tls_ = false;  // server.listen itself speaks TLS (a certificate, no tls.listen)
  SteadyTimer tick_timer_;
  SteadyTimer turn_timer_;        // blocking commands waiting out BlockingOrder's grace
  std::int64_t turn_due_ns_ = 0;  // when it fires; 0: not armed
  std::unique_ptr<client::ClientPoller> poller_;  // readiness of this worker's clients
  std::unique_ptr<client::SessionContext> context_;
  std::unique_ptr<backend::BackendPool> pool_;
  std::unique_ptr<backend::PinnedPool> pinned_;
  std::unique_ptr<backend::ReplicaPools> replicas_;  // read routing (issue #5)
  std::unique_ptr<client::ReadRoutes> reads_;
  std::unique_ptr<metrics::WorkerMetrics> metrics_;
  std::unique_ptr<PubsubPort> pubsub_port_;
  std::atomic<std::size_t> clients_{0};
  std::thread thread_;
  std::vector<HandoffBatch> outgoing_;  // per destination worker
  std::vector<ReplyBatch> returning_;   // per destination worker
  bool batch_flush_posted_ = false;
  std::atomic<bool> drained_{false};
  unsigned ticks_ = 0;
  std::size_t peak_sessions_ = 0;  // since the last malloc_trim
  std::size_t freed_since_trim_ = 0;
  int reserve_fd_ = -1;  // kept open to accept-and-refuse when descriptors run out
  common::Millis last_fd_warning_ = -100000;
  common::Millis last_limit_warning_ = -100000;
};

}  // namespace funnel::server
