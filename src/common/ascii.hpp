// ASCII case folding as Redis does it (strcasecmp/toupper in the C locale): command and
// subcommand names, options such as XREAD's BLOCK, FUNNEL's subcommands. Locale-free, unlike
// std::tolower, so a name compares the same whatever the process's locale.
#pragma once

#include <string_view>

namespace funnel::common {

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
constexpr char ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace funnel::common
