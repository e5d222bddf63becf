// The Redis Cluster topology source (issue #16, docs/cluster.md): asks a node CLUSTER SHARDS
// (CLUSTER SLOTS where the node refuses it: Redis < 7) for the slot map, resolves every node the
// map lists (once per refresh, never per client), and hands the result to the control thread.
// Nodes asked: the map's own primaries first, then the configured seeds (DNS names allowed, as a
// configuration endpoint). A refresh runs every cluster.refresh_ms, and at once (at most one in
// flight, never closer than kMinGap to the previous one) when a worker reports MOVED, a lost link
// or CLUSTERDOWN. While a shard's primary is held down (routing/shard_hold.hpp) it refreshes every
// ShardHoldGate::kFastRefreshMs and asks the replicas first: the promoted one is the first to list
// itself as the primary, and the dead primary would only cost a connect timeout.
// Runs on the control thread's io_context.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "backend/control_link.hpp"
#include "config/config.hpp"
#include "net/asio_types.hpp"
#include "routing/slot_map.hpp"

namespace funnel::topology {

// A node the map lists, with its address resolved (empty endpoints: unresolvable, see error).
struct ClusterNode {
  routing::NodeAddress address;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  std::string error;
};

struct ClusterView {
  routing::SlotMap map;
  std::vector<ClusterNode> nodes;  // every primary and replica of the map, each once
  std::string answered_by;         // "host:port" of the node that gave the map
  std::int64_t started_ms = 0;     // when this read began (common::coarse_now_ms)
  bool demanded = false;           // a worker asked for it (refresh_now)
  const ClusterNode* find(const routing::NodeAddress& address) const;
};

class ClusterMonitor : public std::enable_shared_from_this<ClusterMonitor> {
 public:
  static constexpr auto kMinGap = std::chrono::milliseconds(100);
  // Called on the io's thread with each map a refresh read (also when unchanged: the caller
  // compares), and with `error` set when no node gave one.
  using Listener = std::function<void(const ClusterView& view)>;
  using ErrorListener = std::function<void(const std::string& error)>;

  ClusterMonitor(asio::io_context& io, const config::Config& config,
                 const backend::LinkSettings& settings, Listener on_view, ErrorListener on_error);

  // One refresh (bounded by the link settings' timeouts per node asked).
  asio::awaitable<bool> refresh();
  // Spawns the refresh loop on the io. stop() ends it.
  void start();
  void stop();
  // A worker saw MOVED, CLUSTERDOWN or a lost link: refresh soon (rate-limited). Io's thread.
  void refresh_now();
  std::uint64_t refreshes() const { return refreshes_; }

 private:
  asio::awaitable<void> loop();
  asio::awaitable<bool> ask(const config::HostPort& node);
  asio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>> resolve(const std::string& host,
                                                                       std::uint16_t port,
                                                                       std::string& error);
  asio::awaitable<void> resolve_nodes(ClusterView& view);
  std::vector<config::HostPort> candidates() const;
  bool shard_held() const;

  asio::io_context& io_;
  const config::Config& config_;
  backend::LinkSettings settings_;
  Listener on_view_;
  ErrorListener on_error_;
  backend::ControlLink link_;
  std::string link_peer_;  // "host:port" the link is open to
  SteadyTimer wakeup_;
  std::vector<routing::NodeAddress> known_primaries_;
  std::vector<routing::NodeAddress> known_replicas_;
  std::chrono::steady_clock::time_point last_refresh_{};
  std::int64_t started_ms_ = 0;  // the refresh in progress
  bool demanded_ = false;
  bool wanted_ = false;
  bool stopping_ = false;
  std::uint64_t refreshes_ = 0;
};

}  // namespace funnel::topology
