// The hot-key workload's stale-read rule (issue #18 item 5, docs/storm.md): a read is stale when
// it returns a version older than the newest version of its key whose write was acknowledged
// before the read began. Its staleness is how long before the read began the first such newer
// write was acknowledged: how long the old value was still served after a write replaced it.
// Times are CLOCK_MONOTONIC nanoseconds (std::chrono::steady_clock), the same in the
// coordinator (which acknowledges writes) and the containers (which start reads). No I/O.
#pragma once

#include <cstdint>
#include <vector>

namespace funnel::storm {

struct WriteAck {
  std::uint32_t key = 0;
  std::uint64_t version = 0;
  std::int64_t ack_ns = 0;  // when the writer received the write's reply
};

struct ReadObservation {
  std::uint32_t key = 0;
  std::uint64_t version = 0;  // the version the read returned
  std::int64_t start_ns = 0;  // just before the read's request was written
};

struct StaleSummary {
  std::uint64_t checked = 0;
  std::uint64_t stale = 0;
  double max_staleness_ms = 0;  // 0 when no read was stale
};

// Writes are recorded as they are acknowledged (any order); reads are checked against them all.
class StalenessChecker {
 public:
  explicit StalenessChecker(std::uint32_t keys) : writes_(keys) {}

  void add_write(const WriteAck& write);
  // Call after every write acknowledged before the reads began has been added. Returns the
  // staleness in ns of read (0 when it is not stale); reads of unknown keys are not stale.
  std::int64_t staleness_ns(const ReadObservation& read);
  // Checks every read.
  StaleSummary check(const std::vector<ReadObservation>& reads);

 private:
  struct KeyWrites {
    std::vector<WriteAck> acks;          // sorted by ack_ns once prepared
    std::vector<std::uint64_t> highest;  // highest[i]: the highest version in acks[0..i]
    bool prepared = true;
  };
  void prepare(KeyWrites& key);

  std::vector<KeyWrites> writes_;
};

}  // namespace funnel::storm
