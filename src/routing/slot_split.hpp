// Cross-slot split (issue #16, item 4): a multi-key request whose keys span slots becomes one
// request per slot, each with that slot's keys (and MSET's values) in the client's order, so a
// cluster-unaware client's MGET/MSET/DEL/UNLINK/EXISTS/TOUCH works as on one Redis. The parts'
// replies are combined by routing/reply_merge.hpp. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/request_parser.hpp"

namespace funnel::routing {

struct SlotPart {
  std::uint16_t slot = 0;
  std::uint32_t offset = 0;  // of the part's request in SlotSplit::bytes
  std::uint32_t length = 0;
  std::uint32_t keys = 0;  // how many of the client's keys it carries
};

struct SlotSplit {
  std::string bytes;            // every part's multibulk request, back to back
  std::vector<SlotPart> parts;  // ordered by each part's first key in the client's order
  // For each key in the client's order, the index of its part: the merge walks it to put an
  // MGET's values back in the client's order. Two bytes a key, less than the key's own bytes.
  std::vector<std::uint16_t> key_part;

  std::string_view part_bytes(std::size_t i) const {
    return std::string_view(bytes).substr(parts[i].offset, parts[i].length);
  }
};

// Splits `request` (the command name at 0, then keys from argument 1, each followed by
// `step - 1` values: 1 for MGET/DEL/..., 2 for MSET) by slot. Parts keep the command name as
// the client spelled it. Returns false, with `out` empty, when the arguments do not fit the
// step (the node then answers the arity error whole) or every key is in one slot.
bool split_by_slot(const resp::Request& request, std::size_t step, SlotSplit& out);

}  // namespace funnel::routing
