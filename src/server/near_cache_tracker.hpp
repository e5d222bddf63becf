// The near cache's tracking link (issue #18 item 2, docs/spike-shield.md): one connection per
// process to the primary, in RESP3, with CLIENT TRACKING ON BCAST and a PREFIX per configured
// prefix. Each invalidation it reads goes to the shared routing::NearCacheGuard, which every
// worker checks. One per process rather than per worker: Redis sends each invalidation once
// (not once per worker), the connection budget grows by one control-class link, and the guard's
// generations are shared anyway (a write on one worker must stale every worker's entry). Runs
// on the control thread. Lost link, failed subscription or a new primary: the guard drops
// everything and nothing is served until the link is back and subscribed to the current primary.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "backend/backend_snapshot.hpp"
#include "backend/control_link.hpp"
#include "net/asio_types.hpp"
#include "resp/value.hpp"
#include "routing/near_cache_guard.hpp"

namespace funnel::server {

class NearCacheTracker {
 public:
  using CurrentSnapshot = std::function<backend::SnapshotPtr()>;
  NearCacheTracker(asio::io_context& io, const backend::LinkSettings& settings,
                   routing::NearCacheGuard& guard, std::vector<std::string> prefixes,
                   CurrentSnapshot current);
  // Control thread (before its loop runs, or on it).
  void start();
  // Any thread: a new snapshot was published; a new primary (epoch) means a new tracking link.
  void on_snapshot(const backend::SnapshotPtr& snapshot);
  // Any thread: close the link (Control::stop then stops the loop).
  void stop();

  // CLIENT TRACKING ON BCAST PREFIX p1 PREFIX p2 ..., encoded.
  static std::string tracking_request(const std::vector<std::string>& prefixes);
  // Applies one message read on the link to the guard; false if it is not an invalidation.
  static bool apply(const resp::Value& message, routing::NearCacheGuard& guard);

 private:
  asio::awaitable<void> loop();
  asio::awaitable<void> serve(backend::SnapshotPtr snapshot);

  asio::io_context& io_;
  const backend::LinkSettings& settings_;
  routing::NearCacheGuard& guard_;
  const std::string request_;
  CurrentSnapshot current_;
  std::unique_ptr<backend::ControlLink> link_;
  SteadyTimer retry_;
  std::uint64_t serving_epoch_ = 0;  // the snapshot epoch the open link is subscribed for
  bool stopping_ = false;
};

}  // namespace funnel::server
