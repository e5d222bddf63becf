// The topology monitor (control thread): finds the primary and its replicas from the configured
// source (static list, discovery from ROLE, or Sentinel), health-checks every node, polls
// replication offsets for read-your-writes, and reports every change of the view.
//
// Sources (config::TopologyConfig, docs/topology.md):
// - single:    backend.address only. One node, always the primary; its name is re-resolved every
//              backend.resolve_interval_s (an ElastiCache primary endpoint moves on failover).
// - static:    backend.address plus topology.replicas. The roles given are hints: each node's
//              ROLE decides (a "replica" that says master is the primary, and the configured
//              primary that says slave is a replica).
// - discover:  topology.discover is a seed (e.g. an ElastiCache reader or primary endpoint): its
//              ROLE leads to the primary (a replica names its primary), the primary's ROLE lists
//              the replicas. Kept up to date every health interval. A round-robin DNS name that
//              answers differently never drops a node that is still healthy.
// - sentinel:  SENTINEL get-master-addr-by-name and SENTINEL replicas <master> on the first
//              sentinel that answers, re-queried every topology.sentinel_refresh_ms, plus a
//              subscription to +switch-master (and +sdown/-sdown, +slave) for at-once updates.
//
// Health (every topology.health_interval_ms, one ControlLink per node): PING, ROLE, INFO
// replication + persistence; routing::judge_replica decides readability. With
// topology.read_your_writes on, ROLE is also polled every topology.offset_poll_ms on every node
// and written to the OffsetBoard (primary polls with their send time).
//
// Threading: construct, start, stop on any thread; everything else runs on `io` (the control
// thread's io_context). The listener is called on that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "backend/asio_types.hpp"
#include "backend/link_settings.hpp"
#include "config/config.hpp"
#include "routing/offset_board.hpp"
#include "topology/topology_view.hpp"

namespace funnel::topology {

class TopologyMonitor {
 public:
  using Listener = std::function<void(const TopologyView&)>;

  TopologyMonitor(asio::io_context& io, const config::Config& config,
                  const backend::LinkSettings& settings, Listener on_change);
  ~TopologyMonitor();

  // Runs the first round (source query, resolution, one health check of every node), bounded by
  // backend.connect_timeout_ms per step, and reports the view once. For Control::bootstrap.
  asio::awaitable<void> first_round();
  // Spawns the loops on `io`. stop() ends them (call on the io's thread or before io.run()).
  void start();
  void stop();

  // The primary refused a write with READONLY, or a worker saw the primary fail: query the source
  // and every node's role now. Call on the io's thread (Control posts it).
  void refresh_now();
  // A worker saw node `node_id` fail a request (transport error, timeout, -LOADING,
  // -MASTERDOWN): take it out of the read set at once and re-check it at the next health round.
  void report_node_failure(std::uint32_t node_id, const std::string& reason);

  const TopologyView& view() const;
  // Replication offsets for read-your-writes (see routing/offset_board.hpp). Never null.
  std::shared_ptr<routing::OffsetBoard> offsets() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the loops, which may outlive stop()
};

}  // namespace funnel::topology
