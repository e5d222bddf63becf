// ReplyRouter's redirects that answered a script or function (EVAL*, EVALSHA*, FCALL*): the
// script may have written and then returned the error itself (`redis.error_reply('MOVED ...')`),
// so it is never retried on the error's word (routing/unsafe_redirect.hpp decides).
// - MOVED naming the slot of the script's keys: parked until a slot map read that began after it
//   arrived; if the answering node does not own the slot and the named node does, Redis refused
//   before running the script (it checks slots first), and it goes to the owner once.
// - ASK naming that slot and a node the map lists: the answering node is asked EXISTS of the
//   script's keys; the same ASK back (or MOVED to the same node: the migration ended) means the
//   keys were gone (Redis ASKs only then), so the script did not run: ASKING and the script go to
//   the importing node, once.
// Anything else, the client gets the error as it came. Worker thread only; rare path.
#include <algorithm>
#include <charconv>

#include "client/reply_router.hpp"
#include "config/config.hpp"
#include "resp/request_parser.hpp"
#include "routing/key_slot.hpp"
#include "routing/unsafe_redirect.hpp"

namespace funnel::client {
namespace {

// The slot of a script call's first key (EVAL script numkeys key ...), or none.
std::optional<std::uint16_t> script_slot(std::string_view request) {
  resp::RequestParser parser;
  if (parser.parse(request) != resp::ParseStatus::kComplete) return std::nullopt;
  const resp::Request& call = parser.request();
  if (call.argc() < 4) return std::nullopt;
  const std::string_view numkeys = call.arg(2);
  unsigned count = 0;
  const auto [end, ec] = std::from_chars(numkeys.data(), numkeys.data() + numkeys.size(), count);
  if (ec != std::errc{} || count == 0) return std::nullopt;
  return routing::key_slot(call.arg(3));
}

}  // namespace

// A script's redirect set aside, to be followed once (one more redirect on its target) if the
// map or the probe proves the script did not run; else `reply` goes to the client as it came.
ReplyRouter::ParkedRedirect ReplyRouter::unsafe_parked(
    std::string_view host, std::uint16_t port, resp::Protocol protocol, std::string_view request,
    const backend::ReplyTarget& target, common::Millis deadline, std::string_view reply,
    std::string_view from) {
  ParkedRedirect parked;
  parked.host = std::string(host);
  parked.port = port;
  parked.protocol = protocol;
  parked.request = std::string(request);
  parked.target = target;
  ++parked.target.redirects;
  parked.deadline = deadline;
  parked.reply = std::string(reply);
  parked.parked_ms = common::coarse_now_ms();
  parked.unsafe = true;
  parked.from = std::string(from);
  return parked;
}

bool ReplyRouter::redirect_unsafe(resp::Protocol protocol, std::string_view request,
                                  const backend::ReplyTarget& target, common::Millis deadline,
                                  std::string_view reply, std::string_view from) {
  const routing::Redirect r = routing::parse_redirect(reply);
  if (r.kind == routing::RedirectKind::kAsk) {
    return probe_unsafe_ask(protocol, request, target, deadline, reply, from);
  }
  const std::optional<std::uint16_t> slot = script_slot(request);
  routing::UnsafeRedirect facts;
  facts.kind = r.kind;
  facts.followed_before = target.redirects != 0;
  facts.slot_is_requests = slot && *slot == r.slot;
  if (routing::judge_unsafe_redirect(facts) != routing::UnsafeVerdict::kWaitForMap) return false;
  peers_.request_cluster_refresh();
  // An empty host is the node's "unknown endpoint": the node that answered, as for any MOVED.
  const std::string_view host = r.host.empty() ? from.substr(0, from.rfind(':')) : r.host;
  park(unsafe_parked(host, r.port, protocol, request, target, deadline, reply, from));
  return true;
}

// An ASK naming the slot of the script's keys: probed now if the map lists its target, else
// parked until a map read after it (judge_parked_ask).
bool ReplyRouter::probe_unsafe_ask(resp::Protocol protocol, std::string_view request,
                                   const backend::ReplyTarget& target, common::Millis deadline,
                                   std::string_view reply, std::string_view from) {
  const routing::Redirect r = routing::parse_redirect(reply);
  std::string probe;
  const std::optional<std::uint16_t> slot = routing::encode_keys_probe(request, probe);
  // An empty host is the node's "unknown endpoint": the node that answered, as for any ASK.
  const std::string_view host = r.host.empty() ? from.substr(0, from.rfind(':')) : r.host;
  routing::UnsafeRedirect facts;
  facts.kind = r.kind;
  facts.followed_before = target.redirects != 0;
  facts.slot_is_requests = slot && *slot == r.slot;
  facts.target_listed = ctx_.cluster_routes.pool_for_address(host, r.port) != nullptr;
  const routing::UnsafeVerdict verdict = routing::judge_unsafe_redirect(facts);
  if (verdict != routing::UnsafeVerdict::kProbe && verdict != routing::UnsafeVerdict::kWaitForMap) {
    return false;
  }
  ParkedRedirect parked =
      unsafe_parked(host, r.port, protocol, request, target, deadline, reply, from);
  parked.ask = true;
  if (verdict == routing::UnsafeVerdict::kProbe) return start_ask_probe(std::move(parked));
  peers_.request_cluster_refresh();
  park(std::move(parked));
  return true;
}

// The answering node gets `EXISTS key ...` of the script's keys, on a link of its pool (the
// probe's reply comes back through deliver(), ask_probe_answered()). False: no such pool.
bool ReplyRouter::start_ask_probe(ParkedRedirect parked) {
  std::string probe;
  backend::BackendPool* answerer = pool_for_peer(parked.from);
  if (answerer == nullptr || !routing::encode_keys_probe(parked.request, probe)) return false;
  AskProbe pending{++ask_probe_serial_, std::move(parked)};
  backend::ReplyTarget probe_target;
  probe_target.session_index = kAskProbeSession;
  probe_target.session_generation = pending.serial;
  probe_target.worker = static_cast<std::uint16_t>(worker_);
  probe_target.flags = backend::ReplyTarget::kSessionEdit;  // whole, never streamed
  const std::uint32_t affinity = pending.parked.target.session_index;
  const resp::Protocol protocol = pending.parked.protocol;
  const common::Millis deadline = pending.parked.deadline;
  ask_probes_.push_back(std::move(pending));
  ctx_.metrics->requests_in_flight_up.add();  // deliver() counts the probe's reply down
  answerer->submit(protocol, affinity, probe, probe_target, deadline, 0);
  return true;
}

void ReplyRouter::ask_probe_answered(std::uint32_t serial, std::string_view reply) {
  const auto it = std::find_if(ask_probes_.begin(), ask_probes_.end(),
                               [serial](const AskProbe& p) { return p.serial == serial; });
  if (it == ask_probes_.end()) return;
  ParkedRedirect parked = std::move(it->parked);
  ask_probes_.erase(it);
  routing::UnsafeRedirect facts;
  facts.kind = routing::RedirectKind::kAsk;
  facts.slot_is_requests = true;  // checked before the probe
  facts.probed = true;
  facts.probe_confirms = routing::probe_confirms_ask(parked.reply, reply);
  backend::BackendPool* to = ctx_.cluster_routes.pool_for_address(parked.host, parked.port);
  facts.target_listed = to != nullptr;
  if (routing::judge_unsafe_redirect(facts) == routing::UnsafeVerdict::kFollowAsking) {
    ctx_.metrics->cluster_redirects.add();
    send_to(*to, true, parked.protocol, parked.request, parked.target, parked.deadline);
    return;
  }
  deliver(parked.target, parked.reply, backend::ReplyTiming{0, common::precise_now_ns()});
}

// A parked ASK (its target was not in the map): probed once a map lists the target; its error
// delivered if a map read begun after it does not. True when done with.
bool ReplyRouter::judge_parked_ask(ParkedRedirect& parked, std::int64_t read_started) {
  routing::UnsafeRedirect facts;
  facts.kind = routing::RedirectKind::kAsk;
  facts.slot_is_requests = true;  // checked when it was parked
  facts.map_read_after_reply = read_started > parked.parked_ms;
  facts.target_listed = ctx_.cluster_routes.pool_for_address(parked.host, parked.port) != nullptr;
  switch (routing::judge_unsafe_redirect(facts)) {
    case routing::UnsafeVerdict::kWaitForMap:
      peers_.request_cluster_refresh();  // as for a MOVED: this read may predate the reply
      return false;
    case routing::UnsafeVerdict::kProbe:
      if (start_ask_probe(parked)) return true;
      break;
    default:
      break;
  }
  deliver(parked.target, parked.reply, backend::ReplyTiming{0, common::precise_now_ns()});
  return true;
}

// True when the parked redirect is done with (sent on, or its error delivered).
bool ReplyRouter::judge_parked(ParkedRedirect& parked, std::int64_t read_started) {
  if (parked.ask) return judge_parked_ask(parked, read_started);
  routing::UnsafeRedirect facts;
  facts.kind = routing::RedirectKind::kMoved;
  facts.slot_is_requests = true;  // checked when it was parked
  facts.map_read_after_reply = read_started > parked.parked_ms;
  const routing::Redirect r = routing::parse_redirect(parked.reply);
  const ClusterRoutes& routes = ctx_.cluster_routes;
  const std::uint16_t shard = routes.layout->map.shard_index(r.slot);
  const bool served = shard < routes.layout->shards.size();
  const std::string_view owner =
      served ? std::string_view(routes.layout->shards[shard].primary.links->address) : "";
  facts.answerer_owns_slot = served && owner == parked.from;
  facts.target_owns_slot =
      served && owner == config::HostPort{parked.host, parked.port}.to_string();
  switch (routing::judge_unsafe_redirect(facts)) {
    case routing::UnsafeVerdict::kWaitForMap:
      // This read may have begun before the reply came (within the same coarse millisecond):
      // ask for another, or the redirect would wait for the periodic one.
      peers_.request_cluster_refresh();
      return false;
    case routing::UnsafeVerdict::kFollow:
      if (served && shard < routes.primaries.size()) {
        send_to(*routes.primaries[shard], false, parked.protocol, parked.request, parked.target,
                parked.deadline);
        return true;
      }
      break;
    case routing::UnsafeVerdict::kDeliver:
    case routing::UnsafeVerdict::kProbe:  // ASK only (judge_parked_ask)
    case routing::UnsafeVerdict::kFollowAsking:
      break;
  }
  deliver(parked.target, parked.reply, backend::ReplyTiming{0, common::precise_now_ns()});
  return true;
}

}  // namespace funnel::client
