// The topology monitor (control thread): finds the primary and its replicas from the configured
// source (static list, discovery from ROLE, or Sentinel), health-checks every node, polls
// replication offsets for read-your-writes, and reports every change of the view.
//
// Sources (config::TopologyConfig, docs/topology.md), picked in this order: sentinels set ->
// sentinel; discover set -> discover; replicas set -> static; else single.
// - single:    backend.address only. One node, always the primary (also while it does not
//              answer, and whatever its ROLE says); its name is re-resolved every
//              backend.resolve_interval_s and at once on refresh_now() (an ElastiCache primary
//              endpoint moves on failover). The node keeps its id; new endpoints are a new
//              primary identity, so failovers counts them. No health link: Control's own link
//              checks it (so its reachable/role fields stay unset), and the backend sees the
//              same connections as before topology existed.
// - static:    backend.address plus topology.replicas (names re-resolved like single). The roles
//              given are hints: each node's ROLE decides (a "replica" that says master is the
//              primary, and the configured primary that says slave is a replica). Two masters
//              (mid-failover): the one with more replicas, then the current one, then the hint.
//              No reachable master: the current primary (or the hint) stays unless it answers as
//              a replica (primary_choice.hpp).
// - discover:  topology.discover is a seed (e.g. an ElastiCache reader or primary endpoint),
//              re-resolved every round; every address it answers is a node; a replica's ROLE
//              leads to its primary and a master's ROLE lists the replicas, all within one round.
//              A node that is neither named (by the seed or a master's ROLE) nor reachable for 3
//              rounds in a row is dropped; a healthy node is never dropped because a round-robin
//              name answered differently.
// - sentinel:  SENTINEL get-master-addr-by-name and SENTINEL replicas <master> on the first
//              sentinel that answers (starting with the one that answered last; AUTH with
//              sentinel_user / sentinel_password), re-queried every round (every
//              min(health_interval_ms, sentinel_refresh_ms)), plus a subscription on every
//              sentinel to +switch-master, +sdown, -sdown, +odown, -odown, +slave and the
//              failover's steps (sentinel_event_channels(); also given to the event hook): each
//              event starts a round at once, which checks a newly named primary alone first and
//              reports it before checking the others (measured: the listener hears the new
//              primary 1-2 ms after +switch-master). The named primary must confirm with ROLE:
//              while it says slave there is NO primary (view.error says why) rather than the old
//              one, which Sentinel is about to demote and whose writes would be lost; a named node
//              that does not answer stays primary. A replica Sentinel flags s_down or o_down
//              leaves the read set; one flagged only "disconnected" (every replica, for 100-200
//              ms after +switch-master) is judged by our own checks, but is not added as new. When
//              no sentinel answers, ROLE decides among the known nodes as for static, and
//              view.error says why the sentinels failed.
//
// Health (a round every topology.health_interval_ms; refresh_now(), report of a failing primary
// and Sentinel events start one at once, at most one per 50 ms): one control link per node
// except under the single source ("funnel:health:<id>"): PING, ROLE, INFO replication, INFO
// persistence; routing::judge_replica decides readability (primary's readable is false: the read
// set is replicas). Checks are bounded by min(backend timeouts, max(health_interval_ms, 200 ms)),
// so a hung node costs a round about that much. With topology.read_your_writes != "off", a second
// link per node
// ("funnel:offsets:<id>") sends ROLE every topology.offset_poll_ms into the OffsetBoard (primary
// polls with their send time; forget_primary_polls() when the primary's identity changes). Under
// Sentinel: one link per sentinel queried ("funnel:sentinel:<i>") and one subscriber
// ("funnel:sentinel-events:<i>" per sentinel).
//
// The listener hears the view once after the first round, then whenever anything routing uses
// changed (view_change.hpp: primary index or identity, node set, address/endpoints, role,
// reachable, readable, failovers), never for offsets or lag alone (view() has the latest of
// those, refreshed each round). failovers counts primary identity changes (node id + endpoints)
// after the first primary was known; a period without primary is not one.
//
// Threading: construct, start, stop on any thread; everything else runs on `io` (the control
// thread's io_context). The listener is called on that thread. The loops hold the state
// (shared), so destroying the monitor after stop() is safe even while the io_context still has
// their handlers; `config` must outlive the io_context (`settings` is copied).

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "backend/link_settings.hpp"
#include "config/config.hpp"
#include "net/asio_types.hpp"
#include "routing/offset_board.hpp"
#include "topology/sentinel_replies.hpp"
#include "topology/topology_view.hpp"

namespace funnel::topology {

class TopologyMonitor {
 public:
  using Listener = std::function<void(const TopologyView&)>;
  // Called on the io's thread with every Sentinel event about the master (the failover hold).
  using EventHook = std::function<void(const SentinelEvent&)>;

  TopologyMonitor(asio::io_context& io, const config::Config& config,
                  const backend::LinkSettings& settings, Listener on_change);
  ~TopologyMonitor();

  // Runs the first round (source query, resolution, one health check of every node), bounded by
  // backend.connect_timeout_ms per step, and reports the view once. For Control::bootstrap: it
  // leaves no work pending on `io` (every loop starts in start()), so io.run() returns.
  asio::awaitable<void> first_round();
  // Spawns the loops on `io`. stop() ends them (call on the io's thread or before io.run()).
  void start();
  void stop();

  // Before start(): who hears the Sentinel events (besides the monitor's own re-query).
  void set_event_hook(EventHook hook);

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
