// Per-worker counters and histograms: written only by their worker thread with relaxed atomics
// (no lock, no shared read-modify-write on the request path), summed only when scraped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "metrics/command_latency.hpp"
#include "metrics/histogram.hpp"

namespace funnel::metrics {

enum class CloseReason : std::uint8_t {
  kClient,
  kIdleTimeout,
  kProtocolError,
  kOutputLimit,
  kBufferBudget,
  kShutdown,
  kAuthGuessing,  // failed AUTH past its address's free failures (security::AuthThrottle)
  kUserRemoved,   // a configuration reload removed the user the client was logged in as
  // The client's tracking or MONITOR link lost its backend (Redis restarted, a failover): closed
  // as a direct connection would be, so its client library flushes its cache and reconnects.
  kBackendStateLost,
  kCount
};
enum class Outcome : std::uint8_t { kOk, kError, kProxyError, kCount };
// Command classes for latency: by the command table's flags, and Funnel's own answers.
enum class CommandClass : std::uint8_t { kRead, kWrite, kOther, kLocal, kCount };
enum class Backpressure : std::uint8_t { kOutputSoftLimit, kPipelineLimit, kLaneBarrier, kCount };

static_assert(kLatencyClasses == static_cast<std::size_t>(CommandClass::kCount));

const char* to_label(CloseReason reason);
const char* to_label(Outcome outcome);
const char* to_label(CommandClass command_class);
const char* to_label(Backpressure reason);

// Command labels are bounded: ids come from command::command_id() (at most kMaxCommands).
inline constexpr std::size_t kMaxCommands = 1024;
// Node labels too: topology node ids (routing::OffsetBoard::kMaxNodes).
inline constexpr std::size_t kMaxNodes = 256;

struct Counter {
  std::atomic<std::uint64_t> value{0};
  // Owner thread only: a load and a store, no locked instruction.
  void add(std::uint64_t n = 1) {
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t read() const { return value.load(std::memory_order_relaxed); }
};

struct WorkerMetrics {
  Counter clients_accepted;
  std::array<Counter, static_cast<std::size_t>(CloseReason::kCount)> clients_closed;
  Counter auth_failures;
  Counter auth_delayed;            // failed AUTH whose -WRONGPASS was held (security::AuthThrottle)
  Counter permission_denied;       // -NOPERM answers (user rules, deny list, key patterns)
  Counter tls_handshake_failures;  // client TLS handshakes that failed
  Counter bytes_received;
  Counter bytes_sent;
  Counter requests_in_flight_up;  // in flight = up - down (both monotonic: no shared RMW)
  Counter requests_in_flight_down;
  std::array<Counter, static_cast<std::size_t>(Backpressure::kCount)> backpressure;
  Counter backend_connects;
  Counter backend_connect_failures;
  Counter backend_reconnects;
  Counter backend_timeouts;
  Counter readonly_redirects;
  Counter cluster_redirects;    // MOVED, ASK, TRYAGAIN, CLUSTERDOWN followed (issue #16)
  Counter transactions;         // MULTI … EXEC blocks written by Funnel
  std::array<Counter, 4> pins;  // leases of a pinned link, by reason (client::PinReason)
  Counter pins_ended;           // leases given back, and their total duration:
  Counter pin_duration_ms;
  Counter pubsub_clients_up;  // subscribed clients = up - down (a client with any subscription)
  Counter pubsub_clients_down;
  Counter pubsub_messages_out;  // pushes fanned out to clients (one per client per message)
  Counter pubsub_slow_closed;   // subscribers closed over the pubsub output limits
  // Read routing (issue #5): reads sent to replicas (by node id), to the primary by a replica
  // policy (none healthy, or read-your-writes), refused (policy replica, none healthy), and
  // retried elsewhere after a replica failed them.
  std::array<Counter, kMaxNodes> reads_by_node;
  Counter reads_on_primary;
  Counter reads_refused;
  Counter read_retries;
  // Reads answered with a copy of an identical read's reply (issue #18, backend/coalescer.hpp).
  Counter coalesced_requests;
  // The near cache (issue #18 item 2): reads answered from it, cacheable reads that were not,
  // and this worker's entries (gauges, stored by the worker).
  Counter near_cache_hits;
  Counter near_cache_misses;
  Counter near_cache_bytes;
  Counter near_cache_entries;
  std::array<std::array<Counter, static_cast<std::size_t>(Outcome::kCount)>, kMaxCommands> commands;
  std::array<Histogram, static_cast<std::size_t>(CommandClass::kCount)> proxy_latency;
  // By latency slot and command class (command_latency.hpp): funnel_command_duration_seconds
  // and, summed over the slots, funnel_request_duration_seconds.
  CommandLatency command_latency;

  // Read "down" before "up": both only grow and up >= down at every instant, so the difference
  // can never come out negative however the worker moves between the two loads.
  std::uint64_t requests_in_flight() const {
    const std::uint64_t down = requests_in_flight_down.read();
    return requests_in_flight_up.read() - down;
  }

  std::uint64_t pubsub_clients() const {
    const std::uint64_t down = pubsub_clients_down.read();
    return pubsub_clients_up.read() - down;
  }

  void closed(CloseReason reason) { clients_closed[static_cast<std::size_t>(reason)].add(); }
  void pressure(Backpressure reason) { backpressure[static_cast<std::size_t>(reason)].add(); }
};

}  // namespace funnel::metrics
