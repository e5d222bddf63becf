// Parsing values from text and showing them in error messages, shared by the TOML loader and the
// command line so that both report problems in the same words.
#include "config/value_text.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace funnel::config {
namespace {

constexpr std::uint64_t kSaturated = std::numeric_limits<std::uint64_t>::max();

// 1024-based, like redis.conf's "kb/mb/gb"; the IEC spellings are accepted as synonyms.
constexpr std::array<std::pair<std::string_view, std::uint64_t>, 10> kUnits = {{
    {"b", 1},
    {"kb", 1ull << 10},
    {"kib", 1ull << 10},
    {"mb", 1ull << 20},
    {"mib", 1ull << 20},
    {"gb", 1ull << 30},
    {"gib", 1ull << 30},
    {"tb", 1ull << 40},
    {"tib", 1ull << 40},
    {"", 1},
}};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::uint64_t unit_multiplier(std::string_view unit, const std::string& shown) {
  for (const auto& [name, multiplier] : kUnits) {
    if (name == unit) return multiplier;
  }
  if (unit == "k" || unit == "m" || unit == "g" || unit == "t") {
    throw ConfigError(shown + ": unit \"" + std::string(unit) +
                      "\" is ambiguous (redis.conf reads 1k as 1000 bytes but 1kb as 1024): "
                      "write kb, mb, gb or tb (1024-based)");
  }
  throw ConfigError(shown + ": unknown unit \"" + std::string(unit) +
                    "\": use b, kb, mb, gb or tb (1024-based), e.g. \"64mb\"");
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

bool is_flag(const std::string& what) {
  return what.starts_with("--");
}

std::string show(const std::string& what, const std::string& literal) {
  return is_flag(what) ? what + "=" + literal : what + " = " + literal;
}

std::string show_text(const std::string& what, const std::string& text) {
  return show(what, is_flag(what) ? text : quote(text));
}

std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::uint64_t parse_size(const std::string& text, const std::string& what) {
  const std::string shown = show_text(what, text);
  std::string_view rest = trim(text);
  std::uint64_t value = 0;
  std::size_t digits = 0;
  for (; digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9'; ++digits) {
    auto digit = static_cast<std::uint64_t>(rest[digits] - '0');
    value = value > (kSaturated - digit) / 10 ? kSaturated : value * 10 + digit;
  }
  if (digits == 0) {
    throw ConfigError(shown + ": expected a size such as \"64mb\", \"1gb\" or a number of bytes");
  }
  rest = trim(rest.substr(digits));
  if (rest.starts_with('.') || rest.starts_with(',')) {
    throw ConfigError(shown +
                      ": use a whole number with a smaller unit, e.g. \"1536mb\" rather "
                      "than \"1.5gb\"");
  }
  std::uint64_t multiplier = unit_multiplier(lower(rest), shown);
  return value > kSaturated / multiplier ? kSaturated : value * multiplier;
}

std::string format_size(std::uint64_t bytes) {
  if (bytes == 0) return "0";
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 4> kLargestFirst = {{
      {"tb", 1ull << 40},
      {"gb", 1ull << 30},
      {"mb", 1ull << 20},
      {"kb", 1ull << 10},
  }};
  for (const auto& [name, unit] : kLargestFirst) {
    if (bytes % unit == 0) return std::to_string(bytes / unit) + std::string(name);
  }
  return std::to_string(bytes);
}

std::string closest(std::string_view word, std::span<const std::string_view> candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (std::string_view candidate : candidates) {
    std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace funnel::config
