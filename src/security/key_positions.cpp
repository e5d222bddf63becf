// key_range: first/last/step from the table, and the movable-key rules of Redis 7.0's
// getkeys procedures for the commands applications commonly send (the numkeys family, XREAD).
#include "security/key_positions.hpp"

#include <charconv>

#include "command/ascii.hpp"

namespace funnel::security {
namespace {

using command::iequals;

bool parse_count(std::string_view text, std::size_t& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// Keys are `numkeys` arguments starting right after the numkeys argument at `at`. A numkeys
// that is not a number or runs past the end is left to Redis to reject: no keys are visited,
// which is safe because Redis then runs nothing.
KeyRange numkeys_range(const resp::Request& request, std::size_t at) {
  KeyRange range;
  std::size_t count = 0;
  if (at >= request.argc() || !parse_count(request.arg(at), count) || count == 0) return range;
  if (count > request.argc() - at - 1) return range;
  range.first = at + 1;
  range.last = at + count;
  return range;
}

// XREAD / XREADGROUP: keys are the first half of what follows STREAMS.
KeyRange streams_range(const resp::Request& request) {
  KeyRange range;
  for (std::size_t i = 1; i < request.argc(); ++i) {
    if (!iequals(request.arg(i), "STREAMS")) continue;
    const std::size_t rest = request.argc() - i - 1;
    if (rest == 0 || rest % 2 != 0) return range;  // Redis rejects it
    range.first = i + 1;
    range.last = i + rest / 2;
    return range;
  }
  return range;
}

struct MovableRule {
  std::string_view name;
  std::size_t numkeys_at;  // 0: STREAMS form
};

// The movable-keys commands with a numkeys argument (position counted with the name at 0).
// ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE also have a destination key at 1 (handled below).
constexpr MovableRule kMovable[] = {
    {"eval", 2},        {"eval_ro", 2},     {"evalsha", 2},    {"evalsha_ro", 2}, {"fcall", 2},
    {"fcall_ro", 2},    {"zunion", 1},      {"zinter", 1},     {"zdiff", 1},      {"zintercard", 1},
    {"sintercard", 1},  {"lmpop", 1},       {"zmpop", 1},      {"blmpop", 2},     {"bzmpop", 2},
    {"zunionstore", 2}, {"zinterstore", 2}, {"zdiffstore", 2}, {"xread", 0},      {"xreadgroup", 0},
};

// The table's first/last/step (last < 0 counts from the end, as in Redis).
KeyRange table_range(const command::CommandSpec& spec, const resp::Request& request) {
  KeyRange range;
  if (spec.first_key <= 0) return range;
  const auto argc = static_cast<long long>(request.argc());
  long long last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  if (last >= argc) last = argc - 1;
  if (last < spec.first_key) return range;
  range.first = static_cast<std::size_t>(spec.first_key);
  range.last = static_cast<std::size_t>(last);
  range.step = spec.key_step > 0 ? static_cast<std::size_t>(spec.key_step) : 1;
  return range;
}

}  // namespace

KeyRanges key_ranges(const command::CommandSpec& spec, const resp::Request& request) {
  KeyRanges ranges;
  ranges.fixed = table_range(spec, request);
  if (!spec.has(command::Flag::kMovableKeys)) return ranges;
  for (const MovableRule& rule : kMovable) {
    if (spec.name != rule.name) continue;
    ranges.moved =
        rule.numkeys_at == 0 ? streams_range(request) : numkeys_range(request, rule.numkeys_at);
    return ranges;
  }
  ranges.known = false;
  return ranges;
}

}  // namespace funnel::security
