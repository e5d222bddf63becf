// The topology monitor's state and rounds (internal to src/topology; see topology_monitor.hpp
// for the contract). monitor_round.cpp runs one round (source, resolution, health checks,
// decisions); topology_monitor.cpp owns the loops, the API and the listener.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "backend/control_link.hpp"
#include "topology/node_probe.hpp"
#include "topology/node_registry.hpp"
#include "topology/offset_poller.hpp"
#include "topology/sentinel_client.hpp"
#include "topology/topology_monitor.hpp"

namespace funnel::topology {

enum class SourceKind { kSingle, kStatic, kDiscover, kSentinel };
SourceKind source_kind(const config::Config& config);

struct TopologyMonitor::Impl : std::enable_shared_from_this<TopologyMonitor::Impl> {
  using Clock = std::chrono::steady_clock;

  Impl(asio::io_context& io, const config::Config& config, const backend::LinkSettings& settings,
       Listener on_change);

  // --- monitor_round.cpp ---
  // One round: the source, names resolved when due (or `force_resolve`), every node checked,
  // the primary and the read set decided, the view published (listener on a routing change).
  asio::awaitable<void> round(bool force_resolve);
  asio::awaitable<std::vector<std::uint32_t>> query_source(bool force_resolve);
  asio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>> resolve(const config::HostPort& a);
  asio::awaitable<std::optional<std::uint32_t>> add_node(const config::HostPort& address,
                                                         bool configured, bool resolve_now);
  asio::awaitable<void> probe(const std::vector<std::uint32_t>& ids);
  asio::awaitable<void> probe_one(std::uint32_t id);
  // discover: the nodes the checked nodes announce (a replica's primary, a primary's replicas),
  // added to `named`; returns those not checked yet this round.
  asio::awaitable<std::vector<std::uint32_t>> discover_more(std::vector<std::uint32_t>& named);
  void apply_results();
  void decide();
  void judge_replicas(const NodeStatus* primary);

  // --- topology_monitor.cpp ---
  asio::awaitable<void> loop(std::shared_ptr<Impl> self);
  asio::awaitable<void> watch_sentinel(std::shared_ptr<Impl> self, std::size_t index);
  void wake();
  // Builds the view from the registry and reports it when routing_changed (or `always`).
  void publish(bool always);
  backend::ControlLink& health_link(std::uint32_t id);
  Clock::duration round_interval() const;

  asio::io_context& io;
  const config::Config& config;
  backend::LinkSettings settings;  // health checks: timeouts capped by the health interval
  Listener listener;
  EventHook event_hook;  // the failover hold (may be empty)
  SourceKind source;
  NodeRegistry registry;
  struct HealthLink {
    std::unique_ptr<backend::ControlLink> link;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // what it connected to
  };
  std::map<std::uint32_t, HealthLink> links;     // health checks, one per node
  std::map<std::uint32_t, ProbeResult> results;  // this round's checks
  std::shared_ptr<routing::OffsetBoard> board = std::make_shared<routing::OffsetBoard>();
  std::shared_ptr<OffsetPoller> poller;        // null when read_your_writes is off
  std::unique_ptr<SentinelClient> sentinels;   // sentinel source only
  SentinelAnswer sentinel_answer;              // the last query's
  std::vector<std::uint32_t> sentinel_listed;  // its primary and usable replicas, as node ids

  std::optional<std::uint32_t> primary_id;  // decided by the last round
  std::optional<std::uint32_t> hint_id;     // the configured primary (single / static)
  std::optional<std::uint32_t> named_id;    // the node Sentinel names
  std::string primary_error;                // why there is no primary
  std::optional<std::pair<std::uint32_t, std::vector<boost::asio::ip::tcp::endpoint>>>
      last_primary_identity;  // the last known primary, for failover counting
  std::uint64_t failovers = 0;
  TopologyView view;
  bool reported_once = false;

  asio::steady_timer wakeup;
  Clock::time_point last_round_start{};
  Clock::time_point last_resolve{};
  bool refresh_requested = false;
  bool round_running = false;
  bool started = false;
  bool stopping = false;
};

}  // namespace funnel::topology
