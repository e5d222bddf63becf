// judge_unsafe_redirect and the ASK probe: see unsafe_redirect.hpp.
#include "routing/unsafe_redirect.hpp"

#include <charconv>

#include "resp/request_parser.hpp"
#include "routing/key_slot.hpp"

namespace funnel::routing {
namespace {

UnsafeVerdict judge_ask(const UnsafeRedirect& facts) {
  if (facts.followed_before || !facts.slot_is_requests) return UnsafeVerdict::kDeliver;
  // A node just added to the cluster (resharding onto it) may not be in Funnel's map yet.
  if (!facts.target_listed) {
    return facts.map_read_after_reply ? UnsafeVerdict::kDeliver : UnsafeVerdict::kWaitForMap;
  }
  if (!facts.probed) return UnsafeVerdict::kProbe;
  return facts.probe_confirms ? UnsafeVerdict::kFollowAsking : UnsafeVerdict::kDeliver;
}

void append_bulk(std::string& out, std::string_view arg) {
  out.append("$").append(std::to_string(arg.size())).append("\r\n").append(arg).append("\r\n");
}

}  // namespace

UnsafeVerdict judge_unsafe_redirect(const UnsafeRedirect& facts) {
  if (facts.kind == RedirectKind::kAsk) return judge_ask(facts);
  if (facts.kind != RedirectKind::kMoved || facts.followed_before || !facts.slot_is_requests) {
    return UnsafeVerdict::kDeliver;
  }
  if (!facts.map_read_after_reply) return UnsafeVerdict::kWaitForMap;
  if (facts.answerer_owns_slot || !facts.target_owns_slot) return UnsafeVerdict::kDeliver;
  return UnsafeVerdict::kFollow;
}

std::optional<std::uint16_t> encode_keys_probe(std::string_view script_call, std::string& out) {
  resp::RequestParser parser;
  if (parser.parse(script_call) != resp::ParseStatus::kComplete) return std::nullopt;
  const resp::Request& call = parser.request();
  if (call.argc() < 4) return std::nullopt;
  const std::string_view numkeys = call.arg(2);
  std::size_t count = 0;
  const auto [end, ec] = std::from_chars(numkeys.data(), numkeys.data() + numkeys.size(), count);
  if (ec != std::errc{} || end != numkeys.data() + numkeys.size() || count == 0 ||
      count > call.argc() - 3) {
    return std::nullopt;
  }
  const std::uint16_t slot = key_slot(call.arg(3));
  out.assign("*").append(std::to_string(count + 1)).append("\r\n$6\r\nEXISTS\r\n");
  for (std::size_t i = 0; i < count; ++i) {
    if (key_slot(call.arg(3 + i)) != slot) return std::nullopt;
    append_bulk(out, call.arg(3 + i));
  }
  return slot;
}

bool probe_confirms_ask(std::string_view original, std::string_view probe_reply) {
  const Redirect a = parse_redirect(original);
  const Redirect b = parse_redirect(probe_reply);
  const bool redirect = b.kind == RedirectKind::kAsk || b.kind == RedirectKind::kMoved;
  return a.kind == RedirectKind::kAsk && redirect && a.slot == b.slot && a.host == b.host &&
         a.port == b.port;
}

}  // namespace funnel::routing
