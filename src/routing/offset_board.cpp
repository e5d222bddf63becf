// OffsetBoard: a seqlock-protected ring of primary polls and one atomic per node.
#include "routing/offset_board.hpp"

namespace funnel::routing {

OffsetBoard::OffsetBoard() {
  for (auto& offset : node_offsets_) offset.store(-1, std::memory_order_relaxed);
}

void OffsetBoard::record_primary_poll(std::int64_t sent_ns, std::int64_t offset) {
  const std::uint64_t n = next_poll_.load(std::memory_order_relaxed);
  sequence_.fetch_add(1, std::memory_order_acq_rel);  // odd: writing
  Poll& poll = polls_[n % kPolls];
  poll.sent_ns.store(sent_ns, std::memory_order_relaxed);
  poll.offset.store(offset, std::memory_order_relaxed);
  next_poll_.store(n + 1, std::memory_order_relaxed);
  sequence_.fetch_add(1, std::memory_order_release);  // even: stable
}

void OffsetBoard::forget_primary_polls() {
  sequence_.fetch_add(1, std::memory_order_acq_rel);
  next_poll_.store(0, std::memory_order_relaxed);
  sequence_.fetch_add(1, std::memory_order_release);
}

void OffsetBoard::set_node_offset(std::uint32_t node_id, std::int64_t offset) {
  if (node_id < kMaxNodes) node_offsets_[node_id].store(offset, std::memory_order_relaxed);
}

std::int64_t OffsetBoard::node_offset(std::uint32_t node_id) const {
  return node_id < kMaxNodes ? node_offsets_[node_id].load(std::memory_order_relaxed) : -1;
}

std::int64_t OffsetBoard::primary_offset_after(std::int64_t after_ns) const {
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::uint64_t before = sequence_.load(std::memory_order_acquire);
    if ((before & 1) != 0) continue;  // the control thread is writing: look again
    const std::uint64_t count = next_poll_.load(std::memory_order_relaxed);
    const std::uint64_t kept = count < kPolls ? count : kPolls;
    std::int64_t found = -1;
    // Oldest to newest: the first poll sent after the write has the smallest sufficient offset.
    for (std::uint64_t i = count - kept; i < count; ++i) {
      const Poll& poll = polls_[i % kPolls];
      if (poll.sent_ns.load(std::memory_order_relaxed) > after_ns) {
        found = poll.offset.load(std::memory_order_relaxed);
        break;
      }
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (sequence_.load(std::memory_order_relaxed) == before) return found;
  }
  return -1;  // kept changing under us: the primary is always right
}

}  // namespace funnel::routing
