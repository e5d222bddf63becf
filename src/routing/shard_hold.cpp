// The per-shard failover hold (see shard_hold.hpp).
#include "routing/shard_hold.hpp"

#include "routing/shard_standby.hpp"

namespace funnel::routing {
namespace {

// Raises `value` to at least `to` (several workers may report the same drop at once).
void raise_to(std::atomic<common::Millis>& value, common::Millis to) {
  common::Millis seen = value.load(std::memory_order_relaxed);
  while (seen < to && !value.compare_exchange_weak(seen, to, std::memory_order_relaxed)) {
  }
}

}  // namespace

void ShardHoldGate::node_down(std::uint32_t index, common::Millis now) {
  const common::Millis hold_ms = hold_ms_.load(std::memory_order_relaxed);
  if (hold_ms <= 0 || index >= kMaxNodes) return;
  const common::Millis until = now + hold_ms;
  raise_to(until_[index], until);
  raise_to(latest_until_, until);
}

bool shard_may_fail_over(const std::vector<Shard>& shards, std::size_t index) {
  if (index >= shards.size()) return false;
  if (shards[index].can_fail_over()) return true;
  for (const Shard& shard : shards) {
    if (shard.can_fail_over()) return true;
  }
  return false;
}

void ShardHoldGate::node_up(std::uint32_t index) {
  if (index < kMaxNodes) until_[index].store(0, std::memory_order_relaxed);
}

}  // namespace funnel::routing
