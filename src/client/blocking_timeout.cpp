// Where each blocking command keeps its timeout (see blocking_timeout.hpp).
#include "client/blocking_timeout.hpp"

#include <charconv>
#include <cmath>
#include <string>

#include "command/ascii.hpp"

namespace funnel::client {
namespace {

std::optional<common::Millis> seconds_arg(std::string_view text) {
  // Redis accepts a decimal number of seconds ("0.5"); from_chars for double is in GCC 12.
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || !(seconds >= 0) || seconds > 1e9) {
    return std::nullopt;
  }
  return static_cast<common::Millis>(std::ceil(seconds * 1000.0));
}

std::optional<common::Millis> millis_arg(std::string_view text) {
  long long ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || end != text.data() + text.size() || ms < 0) return std::nullopt;
  return static_cast<common::Millis>(ms);
}

}  // namespace

std::optional<common::Millis> blocking_timeout_ms(std::string_view name,
                                                  const resp::Request& request) {
  const std::size_t argc = request.argc();
  if (argc < 2) return std::nullopt;
  if (name == "blpop" || name == "brpop" || name == "bzpopmin" || name == "bzpopmax" ||
      name == "blmove" || name == "brpoplpush") {
    return seconds_arg(request.arg(argc - 1));
  }
  if (name == "blmpop" || name == "bzmpop") return seconds_arg(request.arg(1));
  if (name == "xread" || name == "xreadgroup") {
    for (std::size_t i = 1; i + 1 < argc; ++i) {
      if (command::iequals(request.arg(i), "BLOCK")) return millis_arg(request.arg(i + 1));
      if (command::iequals(request.arg(i), "STREAMS")) break;
    }
  }
  return std::nullopt;
}

}  // namespace funnel::client
