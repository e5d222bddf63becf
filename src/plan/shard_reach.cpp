// shard_reach (see shard_reach.hpp): the same rules the planner's cluster forward applies
// (planner.cpp plan_cluster_forward), read off the command's fan-out and merge rules.
#include "plan/shard_reach.hpp"

#include "plan/keyless_rules.hpp"
#include "plan/slot_rules.hpp"

namespace funnel::plan {

ShardReach shard_reach(const command::Classification& cls, const resp::Request& request) {
  if (cls.spec == nullptr) return {};
  if (cls.spec->first_key == 0) {
    const FanOut keyless = keyless_fan_out(*cls.spec);
    if (keyless.count == 0) return {};
    if (keyless.parts[0] == PartTarget::kScanShard) return {Reach::kCursorShard, 1};
    return {Reach::kEveryPrimary, 1};
  }
  switch (slot_merge(*cls.spec, request)) {
    case Merge::kSlotAllOk:
      return {Reach::kEachKey, 2};
    case Merge::kSlotArray:
    case Merge::kSlotSum:
      return {Reach::kEachKey, 1};
    default:
      return {};
  }
}

}  // namespace funnel::plan
