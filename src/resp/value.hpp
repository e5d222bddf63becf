// A fully parsed RESP value (tree). Used off the hot path only: backend handshakes, COMMAND
// and INFO/ROLE replies, health checks, redirects and fan-out merges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace funnel::resp {

// clang-format off
enum class ValueType : std::uint8_t {
  kSimpleString, kError, kInteger, kBulk, kNull, kArray, kMap, kSet, kDouble, kBoolean,
  kBigNumber, kVerbatim, kPush,
};
// clang-format on

struct Value {
  ValueType type = ValueType::kNull;
  std::string str;           // simple string, error, bulk, big number, verbatim (without "txt:");
                             // for a double, its text as received
  std::string format;        // verbatim only: the 3-character format, e.g. "txt" or "mkd"
  std::int64_t integer = 0;  // integer; boolean as 0/1
  double number = 0;         // double
  std::vector<Value> elems;  // array, set, push; map as key, value, key, value ...
  std::vector<Value> attributes;  // RESP3 attribute pairs attached to this value, if any

  bool is_error() const { return type == ValueType::kError; }
  bool is_null() const { return type == ValueType::kNull; }
  bool is_aggregate() const {
    return type == ValueType::kArray || type == ValueType::kMap || type == ValueType::kSet ||
           type == ValueType::kPush;
  }
  // For maps (RESP3) and flat key/value arrays (RESP2): the value under key, or nullptr.
  const Value* find(std::string_view key) const;
  // The string payload of string-like types, nullopt otherwise.
  std::optional<std::string_view> as_string() const;
};

enum class ValueStatus : std::uint8_t { kNeedMore, kComplete, kInvalid };

// How deep parse_value builds: the tree is built (and destroyed) by recursion, so a reply nested
// deeper is kInvalid rather than a risk to the thread's stack. Funnel parses only replies to its
// own commands (handshakes, ROLE, INFO, COMMAND: a few levels); client replies are only framed.
constexpr std::size_t kMaxValueDepth = 128;

// Parses one complete reply at the start of buf into out. consumed is set on kComplete.
// Not incremental: on kNeedMore, call again from the start with more bytes (use ReplyFramer first
// when replies arrive in pieces). Accepts exactly what a ReplyFramer with max_depth =
// kMaxValueDepth accepts, with the same length. A streamed string becomes kBulk, a blob error
// kError, $-1 and *-1 kNull.
ValueStatus parse_value(std::string_view buf, Value& out, std::size_t& consumed);

}  // namespace funnel::resp
