// The per-shard failover hold of cluster mode (issue #16 item 8, docs/cluster.md#failover): which
// shard primaries Funnel believes are down, so that the requests for their slots wait inside
// Funnel (unsent, in each client's order) for the replica's promotion instead of failing on links
// in backoff, while the other shards go on. No I/O: callers pass the clock.
//
// Signals (each holds the node for backend.failover_hold_ms from the latest): a worker's link to
// the node dropped (not retired); the slot map shows the node flagged fail (CLUSTER SHARDS health
// "fail"). A link to it coming up again ends the hold (it restarted before any failover). The
// hold needs no "confirmed" signal of its own: a request waits only while the primary of its
// slot in its worker's layout is held, so the layout that lists the promoted replica as the
// slot's primary lets it go, on each worker as that worker applies it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "common/clock.hpp"

namespace funnel::routing {

class ShardHoldGate {
 public:
  // Nodes are numbered from 0 (cluster node id minus its base); those past kMaxNodes never hold.
  static constexpr std::uint32_t kMaxNodes = 256;
  // The slot map's refresh interval while a hold is in force: the promotion is seen within it.
  static constexpr common::Millis kFastRefreshMs = 150;

  // backend.failover_hold_ms (0: no hold, requests fail fast as before). Live: a reload may set
  // it while workers read it.
  void configure(common::Millis hold_ms) { hold_ms_.store(hold_ms, std::memory_order_relaxed); }
  common::Millis hold_ms() const { return hold_ms_.load(std::memory_order_relaxed); }

  // Any thread: node `index` is down (its link dropped, or the map flags it fail) at `now`: the
  // requests for its slots wait until now + hold_ms, unless node_up() comes first.
  void node_down(std::uint32_t index, common::Millis now);
  // Any thread: a link to node `index` came up: it serves again.
  void node_up(std::uint32_t index);

  // Once per batch of requests (cluster mode only): whether any hold may be in force (one relaxed
  // load). A false positive costs a per-request check, never a wrong hold.
  bool any(common::Millis now) const { return now < latest_until_.load(std::memory_order_relaxed); }
  // Whether node `index`'s requests wait at `now`.
  bool holds(std::uint32_t index, common::Millis now) const {
    return index < kMaxNodes && now < until_[index].load(std::memory_order_relaxed);
  }

  // Metrics: requests held now (one per client: its later requests are not read meanwhile), in
  // total, and those whose hold ended in the error.
  void add_held(std::int64_t delta) { held_.fetch_add(delta, std::memory_order_relaxed); }
  void count_held() { held_total_.fetch_add(1, std::memory_order_relaxed); }
  void add_expired() { expired_total_.fetch_add(1, std::memory_order_relaxed); }
  std::int64_t held() const { return held_.load(std::memory_order_relaxed); }
  std::uint64_t held_total() const { return held_total_.load(std::memory_order_relaxed); }
  std::uint64_t expired_total() const { return expired_total_.load(std::memory_order_relaxed); }

 private:
  std::atomic<common::Millis> hold_ms_{0};
  std::array<std::atomic<common::Millis>, kMaxNodes> until_{};
  std::atomic<common::Millis> latest_until_{0};  // the greatest until_ ever set (for any())
  std::atomic<std::int64_t> held_{0};
  std::atomic<std::uint64_t> held_total_{0};
  std::atomic<std::uint64_t> expired_total_{0};
};

// The error a request held for its shard gets when no promotion came within its hold.
inline constexpr std::string_view kShardFailoverTimedOut =
    "ERR funnel: the primary of this key's cluster shard is down and no replica was promoted "
    "within backend.failover_hold_ms; the command was not run: retry it";

}  // namespace funnel::routing
