// Which shards a cluster request reaches, for the shard failover hold (routing/shard_hold.hpp,
// docs/cluster.md#failover): a request waits whole, before any part is sent, when any shard it
// reaches has its primary held. So a cross-slot split (MGET, MSET, DEL, ...) or a keyless fan-out
// (DBSIZE, KEYS, SCRIPT LOAD, ...) waits like a single-slot request, and no part is ever sent
// twice: parts are sent only once none of their shards is held, all at once. No I/O.
#pragma once

#include <cstdint>

#include "command/classify.hpp"
#include "resp/request_parser.hpp"

namespace funnel::plan {

enum class Reach : std::uint8_t {
  kOneNode,       // one shard: the first key's (EXEC: its block's; keyless: slot 0's)
  kEachKey,       // a split by slot: every key's shard (keys from argument 1, every `step`)
  kEveryPrimary,  // a keyless fan-out to every primary (and, for scripts, their replicas)
  kCursorShard,   // SCAN: the one shard its cursor names
};

struct ShardReach {
  Reach reach = Reach::kOneNode;
  std::uint8_t step = 1;  // kEachKey: 2 for MSET's key-value pairs
};

// How `request` (classified as `cls`) reaches shards in cluster mode, outside a transaction. A
// command the planner refuses or answers itself gets a reach too: it is never held for it, since
// only a forward or a fan-out is planned as a failover hold.
ShardReach shard_reach(const command::Classification& cls, const resp::Request& request);

// What the caller knows of its layout for reach_held.
struct ShardFacts {
  static constexpr std::uint16_t kNone = 0xFFFF;
  std::uint16_t shards = 0;            // primaries in the layout
  std::uint16_t one_node = kNone;      // kOneNode: its shard
  std::uint16_t cursor_shard = kNone;  // kCursorShard: the shard of SCAN's cursor (kNone: invalid)
};

// Whether a request reaching `reach` waits: true if `held(shard)` is true for any shard it
// reaches. `shard_of(key)` gives the index of the shard serving the key's slot (kNone while none
// does: not held, the request meets CLUSTERDOWN's handling as before).
template <typename ShardOf, typename Held>
bool reach_held(const ShardReach& reach, const resp::Request& request, const ShardFacts& facts,
                ShardOf&& shard_of, Held&& held) {
  const auto asked = [&](std::uint16_t shard) {
    return shard != ShardFacts::kNone && shard < facts.shards && held(shard);
  };
  switch (reach.reach) {
    case Reach::kOneNode:
      return asked(facts.one_node);
    case Reach::kCursorShard:
      return asked(facts.cursor_shard);
    case Reach::kEveryPrimary:
      for (std::uint16_t shard = 0; shard < facts.shards; ++shard) {
        if (asked(shard)) return true;
      }
      return false;
    case Reach::kEachKey:
      for (std::size_t i = 1; i < request.argc(); i += reach.step) {
        if (asked(shard_of(request.arg(i)))) return true;
      }
      return false;
  }
  return false;
}

}  // namespace funnel::plan
