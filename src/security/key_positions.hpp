// Which arguments of a request are keys: the command table's first/last/step, plus the rules of
// the common commands whose keys move (a numkeys argument, STREAMS ...). No I/O, no allocation.
#pragma once

#include <cstddef>
#include <string_view>

#include "command/command_table.hpp"
#include "resp/request_parser.hpp"

namespace funnel::security {

enum class KeyScan : bool { kComplete, kUnknown };

// Calls visit(key) for every key argument of `request` (whose command resolved to `spec`) until
// visit returns false. Returns kUnknown when the command's keys cannot be found (a movable-keys
// command Funnel has no rule for, such as SORT, MIGRATE, GEORADIUS ... STORE, or a module
// command): a caller that restricts keys must then refuse the request.
template <typename Visit>
KeyScan for_each_key(const command::CommandSpec& spec, const resp::Request& request, Visit&& visit);

// The positions of the keys as [first, last] with `step`; used by for_each_key.
struct KeyRange {
  std::size_t first = 0;  // 0: no keys
  std::size_t last = 0;   // inclusive
  std::size_t step = 1;
};
// A command's keys: the table's fixed range (ZUNIONSTORE's destination) and, for movable-keys
// commands, the range found from the arguments (its numkeys sources). Exposed for tests.
struct KeyRanges {
  KeyRange fixed;
  KeyRange moved;
  bool known = true;  // false: movable keys Funnel cannot locate
};
KeyRanges key_ranges(const command::CommandSpec& spec, const resp::Request& request);

template <typename Visit>
KeyScan for_each_key(const command::CommandSpec& spec, const resp::Request& request,
                     Visit&& visit) {
  const KeyRanges ranges = key_ranges(spec, request);
  if (!ranges.known) return KeyScan::kUnknown;
  for (const KeyRange& range : {ranges.fixed, ranges.moved}) {
    if (range.first == 0) continue;
    for (std::size_t i = range.first; i <= range.last && i < request.argc(); i += range.step) {
      if (!visit(request.arg(i))) return KeyScan::kComplete;
    }
  }
  return KeyScan::kComplete;
}

}  // namespace funnel::security
