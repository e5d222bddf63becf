// Sampled hot keys (issue #18, item 4): FUNNEL HOTKEYS [count] and funnel_hotkey_requests. One
// request in `sample_every` gives its first key to its worker's space-saving table (Metwally et
// al.: K counters, a new key takes the smallest one's place and count + 1, so every key seen at
// least N/K times is in the table and no count is under-estimated). Each sample weighs
// sample_every requests, so counts estimate requests. A worker's table is its own (no lock on the
// request path); on its tick the worker publishes a copy under its own mutex, which the readers
// (FUNNEL HOTKEYS on any worker, the metrics scrape) merge. Windows: a worker starts a new table
// every window_ms, and publishes the previous window's counts with the current one's, so the
// answer covers between one and two windows. A configuration reload changes the sampling rate
// and the window live (configure()); sample_every 0 turns sampling off.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"

namespace funnel::client {

using KeyCount = std::pair<std::string, std::uint64_t>;

// Space-saving top-K (no I/O, no threads).
class SpaceSaving {
 public:
  explicit SpaceSaving(std::size_t capacity) : capacity_(capacity) {}
  void add(std::string_view key, std::uint64_t weight);
  // The counted keys, highest count first (ties: by key).
  std::vector<KeyCount> top() const;
  void clear() { entries_.clear(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::size_t capacity_;
  std::vector<KeyCount> entries_;
};

// Sums tables by key and returns the `count` highest, highest first.
std::vector<KeyCount> merge_top(const std::vector<std::vector<KeyCount>>& tables,
                                std::size_t count);

class HotKeys {
 public:
  static constexpr std::size_t kCapacity = 64;      // counters per worker table
  static constexpr std::size_t kMaxKeyBytes = 128;  // longer keys are counted by their prefix

  HotKeys(unsigned workers, unsigned sample_every, common::Millis window_ms);
  // 0: sampling is off (FUNNEL HOTKEYS says so). Any thread.
  unsigned sample_every() const { return sample_every_.load(std::memory_order_relaxed); }
  // A configuration reload (any thread): the next samples weigh the new rate, each worker's next
  // window the new length; the counts so far stay until their windows roll out.
  void configure(unsigned sample_every, common::Millis window_ms) {
    sample_every_.store(sample_every, std::memory_order_relaxed);
    window_ms_.store(window_ms, std::memory_order_relaxed);
  }

  // Worker `worker`'s thread only: one sampled request's key.
  void sample(unsigned worker, std::string_view key);
  // Worker `worker`'s thread only, on its tick: rolls the window and publishes.
  void publish(unsigned worker, common::Millis now);
  // Any thread: the `count` hottest keys over the published windows of every worker.
  std::vector<KeyCount> top(std::size_t count) const;

 private:
  struct Table {
    explicit Table() : current(kCapacity), previous(kCapacity) {}
    SpaceSaving current;   // worker only
    SpaceSaving previous;  // worker only
    common::Millis window_start = 0;
    bool dirty = false;
    mutable std::mutex mutex;
    std::vector<KeyCount> published;  // under mutex
  };
  std::vector<std::unique_ptr<Table>> tables_;
  std::atomic<unsigned> sample_every_;
  std::atomic<common::Millis> window_ms_;
};

}  // namespace funnel::client
