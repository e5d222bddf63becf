// split_by_slot (see slot_split.hpp): slots found in one pass, parts numbered by first
// appearance, then each part's request written with its keys in the client's order.
#include "routing/slot_split.hpp"

#include <unordered_map>

#include "routing/key_slot.hpp"

namespace funnel::routing {
namespace {

void append_header(std::string& out, char type, std::size_t n) {
  out.push_back(type);
  out.append(std::to_string(n));
  out.append("\r\n");
}

void append_bulk(std::string& out, std::string_view arg) {
  append_header(out, '$', arg.size());
  out.append(arg);
  out.append("\r\n");
}

// Numbers each key's part by the first appearance of its slot; returns the part count.
std::size_t number_parts(const resp::Request& request, std::size_t step, SlotSplit& out) {
  std::unordered_map<std::uint16_t, std::uint16_t> part_of_slot;
  for (std::size_t i = 1; i < request.argc(); i += step) {
    const std::uint16_t slot = key_slot(request.arg(i));
    auto [it, added] = part_of_slot.emplace(slot, static_cast<std::uint16_t>(part_of_slot.size()));
    if (added) out.parts.push_back(SlotPart{slot, 0, 0, 0});
    ++out.parts[it->second].keys;
    out.key_part.push_back(it->second);
  }
  return out.parts.size();
}

}  // namespace

bool split_by_slot(const resp::Request& request, std::size_t step, SlotSplit& out) {
  out = SlotSplit{};
  if (step == 0 || request.argc() < 2 || (request.argc() - 1) % step != 0) return false;
  if (number_parts(request, step, out) < 2) {
    out = SlotSplit{};
    return false;
  }
  // Keys of each part, in the client's order (a counting sort by part).
  std::vector<std::uint32_t> first(out.parts.size() + 1, 0);
  for (std::size_t p = 0; p < out.parts.size(); ++p) first[p + 1] = first[p] + out.parts[p].keys;
  std::vector<std::uint32_t> keys_by_part(out.key_part.size());
  std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
  for (std::size_t k = 0; k < out.key_part.size(); ++k) keys_by_part[next[out.key_part[k]]++] = k;
  out.bytes.reserve(request.raw().size() + out.parts.size() * (request.arg(0).size() + 24));
  for (std::size_t p = 0; p < out.parts.size(); ++p) {
    SlotPart& part = out.parts[p];
    part.offset = static_cast<std::uint32_t>(out.bytes.size());
    append_header(out.bytes, '*', 1 + part.keys * step);
    append_bulk(out.bytes, request.arg(0));
    for (std::uint32_t i = first[p]; i < first[p + 1]; ++i) {
      const std::size_t arg = 1 + keys_by_part[i] * step;
      for (std::size_t j = 0; j < step; ++j) append_bulk(out.bytes, request.arg(arg + j));
    }
    part.length = static_cast<std::uint32_t>(out.bytes.size() - part.offset);
  }
  return true;
}

}  // namespace funnel::routing
