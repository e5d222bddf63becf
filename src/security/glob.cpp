// glob_match: the classic two-pointer wildcard match, extended with Redis's character classes.
#include "security/glob.hpp"

#include <cstddef>

namespace funnel::security {
namespace {

// Matches text[t] against the class starting at pattern[p] ('[' already at p). Sets `end` to the
// index just past the class (at the closing ']' + 1, or pattern end if unterminated, as Redis).
bool class_matches(std::string_view pattern, std::size_t p, char c, std::size_t& end) {
  ++p;  // past '['
  bool negate = false;
  if (p < pattern.size() && pattern[p] == '^') {
    negate = true;
    ++p;
  }
  bool match = false;
  while (p < pattern.size() && pattern[p] != ']') {
    if (pattern[p] == '\\' && p + 1 < pattern.size()) {
      ++p;
      if (pattern[p] == c) match = true;
    } else if (p + 2 < pattern.size() && pattern[p + 1] == '-') {
      char start = pattern[p];
      char stop = pattern[p + 2];
      if (start > stop) std::swap(start, stop);
      if (c >= start && c <= stop) match = true;
      p += 2;
    } else if (pattern[p] == c) {
      match = true;
    }
    ++p;
  }
  end = p < pattern.size() ? p + 1 : p;
  return negate ? !match : match;
}

// One pattern element against one text character; `next` is where the element ends.
bool element_matches(std::string_view pattern, std::size_t p, char c, std::size_t& next) {
  switch (pattern[p]) {
    case '?':
      next = p + 1;
      return true;
    case '[':
      return class_matches(pattern, p, c, next);
    case '\\':
      if (p + 1 < pattern.size()) {
        next = p + 2;
        return pattern[p + 1] == c;
      }
      next = p + 1;
      return c == '\\';
    default:
      next = p + 1;
      return pattern[p] == c;
  }
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;  // "**" is "*"
      if (p == pattern.size()) return true;
      star_p = p;
      star_t = t;
      continue;
    }
    std::size_t next = 0;
    if (p < pattern.size() && element_matches(pattern, p, text[t], next)) {
      p = next;
      ++t;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;  // let the last '*' swallow one more character
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace funnel::security
