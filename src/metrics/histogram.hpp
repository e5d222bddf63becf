// Latency histogram with fixed log-spaced buckets, 10 µs to 10 s (six per decade: 1, 1.5, 2, 3,
// 5, 7 times a power of ten), fine enough for loopback microseconds and storm-time seconds.
// One per worker and metric, written only by its worker (relaxed atomics: plain stores on x86),
// read by the scraper.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace funnel::metrics {

class Histogram {
 public:
  static constexpr std::size_t kBuckets = 38;  // 37 upper bounds (10 µs ... 10 s), then +Inf
  static const std::array<std::int64_t, kBuckets - 1>& upper_bounds_ns();
  static std::size_t bucket_for(std::int64_t ns);

  // Worker thread only.
  void observe(std::int64_t ns) {
    bump(counts_[bucket_for(ns)]);
    sum_ns_.store(sum_ns_.load(std::memory_order_relaxed) + (ns > 0 ? ns : 0),
                  std::memory_order_relaxed);
  }

  // Worker thread only: the same with the bucket already found (one lookup, several histograms).
  void observe_in(std::size_t bucket, std::int64_t ns) {
    bump(counts_[bucket]);
    sum_ns_.store(sum_ns_.load(std::memory_order_relaxed) + (ns > 0 ? ns : 0),
                  std::memory_order_relaxed);
  }

  // Any thread: non-cumulative counts per bucket and the sum, added into the arguments.
  void add_to(std::array<std::uint64_t, kBuckets>& counts, std::uint64_t& sum_ns) const {
    for (std::size_t i = 0; i < kBuckets; ++i)
      counts[i] += counts_[i].load(std::memory_order_relaxed);
    sum_ns += sum_ns_.load(std::memory_order_relaxed);
  }

 private:
  static void bump(std::atomic<std::uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace funnel::metrics
