// A latency histogram that any thread may write (atomic adds), for observations that are rare by
// design and shared by every worker: the wait of requests backend.max_in_flight_per_link held
// back (issue #18 item 3). Same buckets as Histogram; Histogram stays the per-worker kind for
// the hot path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/histogram.hpp"

namespace funnel::metrics {

class SharedHistogram {
 public:
  void observe(std::int64_t ns) {
    counts_[Histogram::bucket_for(ns)].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(ns > 0 ? ns : 0), std::memory_order_relaxed);
  }
  // Prometheus text: `name` as an unlabelled histogram family in seconds, with its header.
  void render(std::string& out, std::string_view name, std::string_view help) const;
  std::uint64_t count() const;

 private:
  std::array<std::atomic<std::uint64_t>, Histogram::kBuckets> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace funnel::metrics
