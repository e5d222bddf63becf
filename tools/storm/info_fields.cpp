// INFO text fields (see info_fields.hpp).
#include "storm/info_fields.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

namespace funnel::storm {

std::optional<std::int64_t> info_field(std::string_view info, std::string_view name) {
  std::size_t pos = 0;
  while (pos < info.size()) {
    std::size_t end = info.find('\n', pos);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
        line[name.size()] != ':') {
      continue;
    }
    std::string_view digits = line.substr(name.size() + 1);
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

namespace {

// Calls fn(line) for each line of text, without its \r.
template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line);
    pos = end + 1;
  }
}

}  // namespace

std::int64_t commandstat_calls(std::string_view info, std::string_view command) {
  const std::string prefix = "cmdstat_" + std::string(command) + ":calls=";
  std::int64_t calls = 0;
  for_each_line(info, [&](std::string_view line) {
    if (line.substr(0, prefix.size()) != prefix) return;
    const std::string_view digits = line.substr(prefix.size());
    std::from_chars(digits.data(), digits.data() + digits.size(), calls);
  });
  return calls;
}

std::optional<double> prometheus_sum(std::string_view text, std::string_view name) {
  std::optional<double> sum;
  for_each_line(text, [&](std::string_view line) {
    if (line.size() <= name.size() || line.substr(0, name.size()) != name) return;
    std::string_view rest = line.substr(name.size());
    if (rest[0] == '{') {
      const std::size_t close = rest.find('}');
      if (close == std::string_view::npos) return;
      rest.remove_prefix(close + 1);
    }
    if (rest.empty() || rest[0] != ' ') return;
    const std::string value(rest.substr(1));
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str()) return;
    sum = sum.value_or(0) + v;
  });
  return sum;
}

}  // namespace funnel::storm
