// The control thread: resolves the backend's address (at start, every resolve_interval_s, and at
// once when a worker sees READONLY), keeps the control link that loads the command table and
// learns the Redis version, and publishes each new BackendSnapshot to every worker.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/awaitable.hpp>

#include "backend/asio_types.hpp"
#include "backend/backend_snapshot.hpp"
#include "backend/control_link.hpp"
#include "config/config.hpp"

namespace funnel::server {

class Control {
 public:
  using Publisher = std::function<void(backend::SnapshotPtr)>;

  Control(const config::Config& config, const backend::LinkSettings& settings, Publisher publish);
  ~Control();

  // Resolves the address and tries the control link once (bounded by the connect timeout), so
  // that the first snapshot usually knows the Redis version and command table. Never throws for
  // an unreachable backend: Funnel starts anyway and answers with clear errors until it is back.
  backend::SnapshotPtr bootstrap();
  void start();
  void stop();
  // Thread-safe: a worker saw READONLY while on `epoch_seen`.
  void request_reresolve(std::uint64_t epoch_seen);
  backend::SnapshotPtr current() const;
  // Whether the backend answers the control link's health checks, and why not. Thread-safe.
  bool backend_up() const { return up_.load(std::memory_order_relaxed); }
  std::string last_error() const;
  asio::io_context& io() { return io_; }

 private:
  asio::awaitable<void> resolve_loop();
  asio::awaitable<void> control_loop();
  asio::awaitable<bool> resolve(bool force_new_epoch);
  asio::awaitable<bool> refresh_from_control_link();
  void publish(backend::BackendSnapshot next);

  const config::Config& config_;
  const backend::LinkSettings& settings_;
  Publisher publish_;
  asio::io_context io_{1};
  backend::ControlLink link_;
  SteadyTimer resolve_wakeup_;
  mutable std::mutex mutex_;
  backend::SnapshotPtr current_;
  std::thread thread_;
  void set_health(bool up, std::string error);
  std::atomic<bool> up_{false};
  std::string last_error_;  // guarded by mutex_
  bool reresolve_requested_ = false;
  bool stopping_ = false;
};

}  // namespace funnel::server
