// Turns the per-worker counters and process-wide figures into the Prometheus text exposition
// format (version 0.0.4) and into JSON for /stats. Runs on the admin thread at scrape time; the
// only place where per-worker counters are summed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/process_counters.hpp"
#include "metrics/worker_metrics.hpp"

namespace funnel::metrics {

struct BackendState {
  std::string address;  // label value, "host:port"
  std::string role = "primary";
  bool up = false;  // control link healthy
  std::int64_t shared_links_ready = 0;
  std::int64_t control_links = 0;
  std::int64_t subscriber_links = 0;  // the shared pub/sub link, when connected
  std::string last_error;             // why it is down, for /backends
};

// The process-wide pub/sub hub (server/pubsub_hub.*).
struct PubsubState {
  std::int64_t channels = 0, patterns = 0, shard_channels = 0;  // subscribed on the backend
  std::uint64_t messages_received = 0;                          // from the subscriber link
};

// One node of the topology (issue #5) as the monitor last saw it.
struct NodeState {
  std::uint32_t node_id = 0;
  std::string address;
  std::string role;  // "primary", "replica", "unknown"
  bool reachable = false;
  bool readable = false;  // a replica in the read set
  std::string reason;     // why not reachable / readable
  std::int64_t offset = -1;
  std::int64_t lag_bytes = 0;
  std::string zone;         // availability zone ("" unknown)
  bool local_zone = false;  // in Funnel's own zone (server.zone)
};

// Cluster mode: one node's pinned links (backend::PinBudgets, and the main node's pool).
struct PinnedNodeState {
  std::string node;  // host:port as the slot map lists it
  std::int64_t open = 0;
  std::int64_t leased = 0;
  std::int64_t waiting = 0;
};

struct ExpositionInput {
  std::string version;
  unsigned workers = 0;
  std::int64_t clients_connected = 0;
  std::uint32_t max_clients = 0;
  std::uint32_t max_pinned = 0;  // backend.max_pinned
  std::uint64_t invariant_failures = 0;
  const ProcessCounters* process = nullptr;
  std::vector<const WorkerMetrics*> worker_metrics;
  std::vector<std::string> command_names;  // by command id; index 0 is "other"
  std::vector<BackendState> backends;
  PubsubState pubsub;
  std::vector<NodeState> nodes;  // empty for a single node
  // Cluster mode: the pinned gauges per node (empty otherwise: one process-wide sample each).
  std::vector<PinnedNodeState> pinned_nodes;
  std::uint64_t failovers = 0;
  // FUNNEL HOTKEYS' hottest keys (estimated requests over the window), at most 10.
  std::vector<std::pair<std::string, std::uint64_t>> hot_keys;
  std::uint64_t near_cache_invalidations = 0;  // routing::NearCacheGuard (shield.near_cache)
};

std::string render_prometheus(const ExpositionInput& input);
// The pinned pool and transaction series (stateful_metrics.cpp), appended to `out`.
void render_stateful_metrics(std::string& out, const ExpositionInput& input);
// The topology series (topology_metrics.cpp): per node role, health, lag and reads routed.
void render_topology_metrics(std::string& out, const ExpositionInput& input);
// The nodes as a JSON array, for /backends and /stats.
std::string nodes_json(const ExpositionInput& input);
std::string render_stats_json(const ExpositionInput& input);
// funnel_hotkey_requests (command_latency.cpp): one series per hot key, key text cut to 64 bytes.
void render_hot_keys(std::string& out, const ExpositionInput& input);

// Sums of the per-worker counters, shared by both renderings (and by FUNNEL STATS).
struct Totals {
  std::uint64_t accepted = 0, auth_failures = 0, auth_delayed = 0, bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t permission_denied = 0, tls_handshake_failures = 0;
  std::uint64_t in_flight = 0, backend_connects = 0, backend_connect_failures = 0;
  std::uint64_t backend_reconnects = 0, backend_timeouts = 0, readonly_redirects = 0;
  std::uint64_t cluster_redirects = 0;
  std::uint64_t commands = 0, command_errors = 0, proxy_errors = 0;
  std::uint64_t pubsub_clients = 0, pubsub_messages_out = 0, pubsub_slow_closed = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(CloseReason::kCount)> closed{};
  std::array<std::uint64_t, static_cast<std::size_t>(Backpressure::kCount)> backpressure{};
};
Totals sum_workers(const std::vector<const WorkerMetrics*>& workers);
// One counter summed over the workers.
std::uint64_t sum_counter(const ExpositionInput& input, const Counter WorkerMetrics::*member);

}  // namespace funnel::metrics
