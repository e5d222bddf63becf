// slot_spread and slot_merge (see slot_rules.hpp).
#include "plan/slot_rules.hpp"

#include "plan/planner_rules.hpp"

#include "routing/key_slot.hpp"
#include "security/key_positions.hpp"

namespace funnel::plan {

SlotCheck slot_spread(const command::CommandSpec& spec, const resp::Request& request) {
  SlotCheck check;
  bool first = true;
  const security::KeyScan scan = security::for_each_key(spec, request, [&](std::string_view key) {
    const std::uint16_t slot = routing::key_slot(key);
    if (first) {
      check = SlotCheck{SlotSpread::kOneSlot, slot};
      first = false;
      return true;
    }
    if (slot == check.slot) return true;
    check.spread = SlotSpread::kCrossSlot;
    return false;  // one other slot settles it
  });
  if (scan == security::KeyScan::kUnknown) return SlotCheck{SlotSpread::kUnknown, 0};
  return check;
}

bool crosses_slots(const command::Classification& cls, const resp::Request& request) {
  return cls.spec != nullptr && slot_spread(*cls.spec, request).spread == SlotSpread::kCrossSlot;
}

Merge slot_merge(const command::CommandSpec& spec, const resp::Request& request) {
  const std::string_view name = spec.name;
  if (name == "mget") return Merge::kSlotArray;
  if (name == "del" || name == "unlink" || name == "exists" || name == "touch") {
    return Merge::kSlotSum;
  }
  if (name == "mset" && request.argc() % 2 == 1) return Merge::kSlotAllOk;
  return Merge::kFirstPartWins;
}

}  // namespace funnel::plan
