// Process-wide counters of connection-level events (accepts, closes, rejections, link state).
// Written once per connection event, never per request, so relaxed atomics cost nothing that
// matters; per-request counters live per worker (issue: observability).
#pragma once

#include <atomic>
#include <cstdint>

namespace funnel::metrics {

struct ProcessCounters {
  std::atomic<std::int64_t> clients_connected{0};
  std::atomic<std::uint64_t> clients_accepted{0};
  std::atomic<std::uint64_t> clients_rejected_max_clients{0};
  std::atomic<std::uint64_t> clients_rejected_no_fd{0};
  std::atomic<std::uint64_t> clients_closed_protocol_error{0};
  std::atomic<std::uint64_t> clients_closed_idle{0};
  std::atomic<std::uint64_t> clients_closed_output_limit{0};
  std::atomic<std::uint64_t> clients_refused_buffer_budget{0};
  std::atomic<std::int64_t> client_buffer_bytes{0};  // in/out buffers held by all clients
  std::atomic<std::int64_t> backend_links_ready{0};
  std::atomic<std::uint64_t> backend_connects{0};
  std::atomic<std::uint64_t> readonly_redirects{0};
  // Pinned links (backend/pinned_pool.hpp): the process-wide budget and its use.
  std::atomic<std::int64_t> pinned_links_open{0};  // open or opening; at most backend.max_pinned
  std::atomic<std::int64_t> pinned_leased{0};      // leased to a client now
  std::atomic<std::int64_t> pinned_waiting{0};     // clients waiting for a lease, all workers
  std::atomic<std::uint64_t> pinned_borrow_timeouts{0};
  std::atomic<std::uint64_t> pinned_link_serial{0};  // numbers the links' names

  static void add(std::atomic<std::int64_t>& c, std::int64_t d) {
    c.fetch_add(d, std::memory_order_relaxed);
  }
  static void bump(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }
  static std::int64_t read(const std::atomic<std::int64_t>& c) {
    return c.load(std::memory_order_relaxed);
  }
  static std::uint64_t read(const std::atomic<std::uint64_t>& c) {
    return c.load(std::memory_order_relaxed);
  }
};

}  // namespace funnel::metrics
