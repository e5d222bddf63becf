// Redis Cluster's slot rules as the planner applies them in cluster mode (issue #16): where a
// request's keys fall (one slot, several, none), Redis's CROSSSLOT error for a multi-key command
// whose keys do not share a slot, and which of those Funnel splits by slot instead (MGET, MSET,
// DEL, UNLINK, EXISTS, TOUCH: routing/slot_split.hpp, routing/reply_merge.hpp). No I/O.
#pragma once

#include <cstdint>
#include <string_view>

#include "command/command_table.hpp"
#include "plan/plan.hpp"
#include "resp/request_parser.hpp"

namespace funnel::plan {

// redis-server 7.0.15's text (cluster.c), checked against a cluster-enabled node.
inline constexpr std::string_view kCrossSlot =
    "CROSSSLOT Keys in request don't hash to the same slot";

enum class SlotSpread : std::uint8_t {
  kNoKeys,     // keyless (or its keys are where Redis rejects the request anyway)
  kOneSlot,    // every key in `slot`
  kCrossSlot,  // keys in two slots or more
  kUnknown,    // movable keys Funnel cannot locate (SORT ... STORE, modules): the node judges
};

struct SlotCheck {
  SlotSpread spread = SlotSpread::kNoKeys;
  std::uint16_t slot = 0;  // kOneSlot: the slot; kCrossSlot: the first key's
};

// Where the keys of `request` (whose command resolved to `spec`) fall.
SlotCheck slot_spread(const command::CommandSpec& spec, const resp::Request& request);

// The merge rule of a command Funnel splits by slot (Merge::kSlot*), or kFirstPartWins for a
// command that must keep its keys in one slot. An MSET with a dangling key is not split: Redis
// answers its arity error whole.
Merge slot_merge(const command::CommandSpec& spec, const resp::Request& request);

}  // namespace funnel::plan
