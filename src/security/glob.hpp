// Redis's glob-style matching (stringmatchlen) for ACL key patterns: * ? [abc] [^a] [a-z] and
// backslash escapes. No I/O, no allocation.
#pragma once

#include <string_view>

namespace funnel::security {

// True if `text` matches `pattern` as Redis's KEYS and ACL ~pattern match it (case-sensitive).
// Iterative with one backtracking point per '*', so the time is bounded by
// pattern.size() * text.size() whatever the input.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace funnel::security
