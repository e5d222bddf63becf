// The control thread: runs the topology monitor (which finds the primary and the replicas,
// resolves their names, checks their health: src/topology), keeps the control link to the primary
// that loads the command table and learns the Redis version, and publishes each new
// BackendSnapshot to every worker. A worker that sees READONLY asks for a refresh at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/awaitable.hpp>

#include "backend/backend_snapshot.hpp"
#include "backend/control_link.hpp"
#include "config/config.hpp"
#include "net/asio_types.hpp"
#include "routing/failover_hold.hpp"
#include "topology/cluster_monitor.hpp"
#include "topology/topology_monitor.hpp"

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
  // Thread-safe: a worker saw MOVED, CLUSTERDOWN or a lost link to a cluster node: read the
  // slot map again soon (rate-limited by the cluster monitor).
  void request_cluster_refresh();
  // Thread-safe: a configuration reload changed the backend address or the topology sources
  // (not in cluster mode). A new monitor watches `sources`; its first view with a primary moves
  // the snapshot as a failover does (new links, the old ones drain: BackendPool::update_snapshot).
  void set_sources(std::shared_ptr<const config::Config> sources);
  // Thread-safe: a worker saw replica `node_id` fail a read.
  void report_node_failure(std::uint32_t node_id, std::string reason);
  // The nodes as last reported by the monitor (for /backends and metrics). Thread-safe.
  std::vector<topology::NodeStatus> nodes() const;
  backend::SnapshotPtr current() const;
  // Whether the backend answers the control link's health checks, and why not. Thread-safe.
  bool backend_up() const { return up_.load(std::memory_order_relaxed); }
  std::string last_error() const;
  asio::io_context& io() { return io_; }

 private:
  asio::awaitable<void> control_loop();
  asio::awaitable<bool> refresh_from_control_link();
  asio::awaitable<void> probe_backend_user(const command::CommandTable* table);
  void publish(backend::BackendSnapshot next);
  // The monitor's view changed: a new snapshot if anything the workers use differs.
  void on_view(const topology::TopologyView& view);
  void force_new_epoch(std::uint64_t epoch_seen);
  // A Sentinel event about the master: a failover starting holds the primary's requests
  // (routing/failover_hold.hpp); a new primary confirmed ends the hold (on_view).
  void on_sentinel_event(const topology::SentinelEvent& event);
  // Cluster mode (control_cluster.cpp): a slot map read; a new snapshot if anything differs.
  void on_cluster_view(const topology::ClusterView& view);
  void on_cluster_error(const std::string& error);
  backend::ReplicaNode cluster_node(const routing::NodeAddress& address,
                                    const topology::ClusterView& view,
                                    const backend::BackendSnapshot& current);
  bool set_cluster_main(backend::BackendSnapshot& next, const topology::ClusterView& view);
  void hold_failed_primaries(const backend::ClusterLayout& layout);

  const config::Config& config_;
  const backend::LinkSettings& settings_;
  Publisher publish_;
  asio::io_context io_{1};
  backend::ControlLink link_;
  std::unique_ptr<topology::TopologyMonitor> monitor_;
  routing::FailoverWatch failover_watch_;  // control thread only
  // Reloads (set_sources): the configurations the monitors were built with, kept for the life of
  // the process (a stopped monitor's loops may still read theirs), and which monitor's views
  // count (a stopped one may still report once). Control thread only.
  std::vector<std::shared_ptr<const config::Config>> sources_;
  std::vector<std::unique_ptr<topology::TopologyMonitor>> stopped_monitors_;
  std::uint64_t monitor_generation_ = 0;
  SteadyTimer readonly_fallback_;
  mutable std::mutex mutex_;
  backend::SnapshotPtr current_;
  std::thread thread_;
  void set_health(bool up, std::string error);
  std::atomic<bool> up_{false};
  std::string last_error_;                      // guarded by mutex_
  std::vector<topology::NodeStatus> nodes_;     // guarded by mutex_
  std::uint32_t primary_node_id_ = UINT32_MAX;  // the primary the snapshot's epoch is for
  // Each replica's own link epoch, bumped when its endpoints change (control thread only).
  struct NodeEpoch {
    std::uint32_t node_id;
    std::vector<asio::ip::tcp::endpoint> endpoints;
    std::uint64_t epoch;
  };
  std::vector<NodeEpoch> node_epochs_;
  // Cluster mode: the slot map's source, and each cluster node's stable id and link epoch.
  std::shared_ptr<topology::ClusterMonitor> cluster_;
  struct ClusterNodeId {
    std::string address;  // "host:port"
    std::uint32_t node_id;
    std::vector<asio::ip::tcp::endpoint> endpoints;
    std::uint64_t epoch;
  };
  std::vector<ClusterNodeId> cluster_ids_;
  bool stopping_ = false;
};

}  // namespace funnel::server
