// FUNNEL SLOWLOG: requests whose time in Funnel (request read to reply framed) reached
// limits.slowlog_slower_than_us, kept as Redis's SLOWLOG keeps them (arguments cut the same way)
// so the same tools read both. One ring per worker: a request under the threshold costs one
// comparison; a slow one takes its own worker's lock (contended only by a FUNNEL SLOWLOG call).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace funnel::client {

struct SlowEntry {
  std::uint64_t id = 0;
  std::int64_t unix_seconds = 0;
  std::int64_t micros = 0;
  std::vector<std::string> args;  // already cut (slowlog_arguments)
  std::string client_address;
  std::string client_name;
};

// Redis's slowlog.c limits: at most 32 arguments (the 32nd says how many more there were), each
// at most 128 bytes followed by "... (N more bytes)".
inline constexpr std::size_t kSlowlogMaxArgs = 32;
inline constexpr std::size_t kSlowlogMaxArgBytes = 128;
std::vector<std::string> slowlog_arguments(std::span<const std::string_view> argv);

// The arguments of the first request in `bytes` (RESP multibulk or inline), cut as above;
// empty if the bytes do not parse.
std::vector<std::string> slowlog_arguments_of(std::string_view bytes);

class SlowLog {
 public:
  SlowLog(unsigned workers, std::size_t max_len);
  // Worker `worker`'s thread only. Gives the entry the next process-wide id.
  void add(unsigned worker, SlowEntry entry);
  // The newest `count` entries of all workers, newest (highest id) first.
  std::vector<SlowEntry> newest(std::size_t count) const;
  std::size_t size() const;
  void reset();
  // A configuration reload (limits.slowlog_max_len): each ring keeps its newest `max_len`
  // entries (0 empties and stops the log). Any thread.
  void resize(std::size_t max_len);

 private:
  struct Ring {
    mutable std::mutex mutex;
    std::deque<SlowEntry> entries;  // oldest first
  };
  std::vector<std::unique_ptr<Ring>> rings_;
  std::atomic<std::size_t> max_len_;  // relaxed: read under a ring's lock, or for a reply
  std::atomic<std::uint64_t> next_id_{0};
};

}  // namespace funnel::client
