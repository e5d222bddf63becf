// parse_redirect: see redirect.hpp.
#include "routing/redirect.hpp"

#include <charconv>

#include "routing/key_slot.hpp"

namespace funnel::routing {
namespace {

bool to_number(std::string_view text, std::uint32_t limit, std::uint32_t& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out <= limit;
}

// "<slot> <host>:<port>" (the host may hold colons: IPv6; the port follows the last one).
bool read_target(std::string_view rest, Redirect& out) {
  const std::size_t space = rest.find(' ');
  if (space == std::string_view::npos) return false;
  std::uint32_t slot = 0;
  if (!to_number(rest.substr(0, space), kSlotCount - 1, slot)) return false;
  const std::string_view address = rest.substr(space + 1);
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || address.find(' ') != std::string_view::npos) return false;
  std::uint32_t port = 0;
  if (!to_number(address.substr(colon + 1), 65535, port) || port == 0) return false;
  out.slot = static_cast<std::uint16_t>(slot);
  out.host = address.substr(0, colon);
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

}  // namespace

Redirect parse_redirect(std::string_view reply) {
  Redirect out;
  if (!may_be_redirect(reply) || !reply.ends_with("\r\n")) return out;
  const std::string_view text = reply.substr(1, reply.size() - 3);
  if (text.starts_with("MOVED ") && read_target(text.substr(6), out)) {
    out.kind = RedirectKind::kMoved;
  } else if (text.starts_with("ASK ") && read_target(text.substr(4), out)) {
    out.kind = RedirectKind::kAsk;
  } else if (text == "TRYAGAIN" || text.starts_with("TRYAGAIN ")) {
    out.kind = RedirectKind::kTryAgain;
  } else if (text == "CLUSTERDOWN" || text.starts_with("CLUSTERDOWN ")) {
    out.kind = RedirectKind::kClusterDown;
  }
  if (out.kind == RedirectKind::kNone) out = Redirect{};
  return out;
}

}  // namespace funnel::routing
