// Internal to resp/: the number and line rules shared by the request parser, the reply framer and
// the full reply parser, kept in one place so the framer and parse_value agree byte for byte.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

namespace funnel::resp::detail {

inline constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

// Redis's string2ll: no sign but '-', no leading zeros, no spaces, at most 20 characters.
// Requests are framed exactly as Redis frames them, so the proxy and its backend never disagree
// on where a request ends.
inline bool parse_redis_ll(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() >= 21) return false;
  if (s == "0") {
    out = 0;
    return true;
  }
  bool negative = s[0] == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty() || s[0] < '1' || s[0] > '9') return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr std::uint64_t kMaxPositive = std::numeric_limits<std::int64_t>::max();
  if (negative) {
    if (v > kMaxPositive + 1) return false;
    out = v == kMaxPositive + 1 ? std::numeric_limits<std::int64_t>::min()
                                : -static_cast<std::int64_t>(v);
    return true;
  }
  if (v > kMaxPositive) return false;
  out = static_cast<std::int64_t>(v);
  return true;
}

// Integers in replies: an optional sign and at least one digit (RESP3 allows '+'; servers other
// than redis-server may send leading zeros, which are harmless here).
inline bool parse_reply_int(std::string_view s, std::int64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

// RESP3 double text: what from_chars accepts ("1.5", "-1e+10", "inf", "-inf", "nan"), plus an
// optional leading '+'.
inline bool parse_reply_double(std::string_view s, double& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out, std::chars_format::general);
  // Out-of-range values still have a well-defined meaning (they round to 0 or inf).
  return (ec == std::errc() || ec == std::errc::result_out_of_range) && ptr == end;
}

// RESP3 big number: an optional sign and at least one digit, any length.
inline bool is_big_number(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Where Redis's strchr(buf + from, c) stops in a NUL-terminated query buffer: the index of c, or
// kNotFound if c is absent. A NUL before c hides everything after it from Redis, so *blocked is
// set and the line can never end (Redis then waits until its size limit).
inline std::size_t find_like_strchr(std::string_view buf, std::size_t from, char c, bool* blocked) {
  if (from >= buf.size()) return kNotFound;
  const char* start = buf.data() + from;
  std::size_t n = buf.size() - from;
  const void* hit = std::memchr(start, c, n);
  std::size_t limit = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - start) : n;
  if (std::memchr(start, '\0', limit) != nullptr) {
    *blocked = true;
    return kNotFound;
  }
  return hit ? from + limit : kNotFound;
}

}  // namespace funnel::resp::detail
