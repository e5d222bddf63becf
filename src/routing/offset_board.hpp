// Replication offsets for read-your-writes, written by the control thread (the topology
// monitor's ROLE polls) and read by workers without a lock.
//
// Redis returns no offset with a write's reply, so Funnel learns it afterwards: the monitor
// polls the primary's ROLE every topology.offset_poll_ms and records (when the poll was sent,
// master_repl_offset). A write whose reply arrived at time T is in every offset from a poll sent
// after T, so a read that must see it needs a node whose offset has reached the first such poll's
// offset. Replica offsets come from the same polls, one slot per node id.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace funnel::routing {

class OffsetBoard {
 public:
  static constexpr std::size_t kMaxNodes = 256;  // node ids at or above this read as unknown
  static constexpr std::size_t kPolls = 64;      // primary polls remembered

  OffsetBoard();

  // Control thread only.
  void record_primary_poll(std::int64_t sent_ns, std::int64_t offset);
  void set_node_offset(std::uint32_t node_id, std::int64_t offset);
  // The primary changed: polls of the old primary say nothing about the new one.
  void forget_primary_polls();

  // Any thread, lock-free. -1: unknown.
  std::int64_t node_offset(std::uint32_t node_id) const;
  // The primary's offset from the earliest remembered poll sent after `after_ns`; -1 when no poll
  // has been sent since then (the caller reads from the primary meanwhile).
  std::int64_t primary_offset_after(std::int64_t after_ns) const;

 private:
  struct Poll {
    std::atomic<std::int64_t> sent_ns{0};
    std::atomic<std::int64_t> offset{-1};
  };
  // Seqlock over the poll ring: odd while the control thread writes.
  std::atomic<std::uint64_t> sequence_{0};
  std::atomic<std::uint64_t> next_poll_{0};  // total polls recorded; ring index = n % kPolls
  std::array<Poll, kPolls> polls_;
  std::array<std::atomic<std::int64_t>, kMaxNodes> node_offsets_;
};

}  // namespace funnel::routing
