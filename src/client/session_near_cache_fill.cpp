// ClientSession's near cache fills (issue #18 items 2-3, docs/spike-shield.md): each fill carries
// a PTTL probe of its key on the same link, and its reply is stored only once every probe said
// the key had no TTL (routing/near_cache_multi.hpp); MGET of several keys is answered from one
// entry per key, or forwarded whole and fills the keys it missed. Cold paths: the session calls
// them only while shield.near_cache is on.
#include "client/client_session.hpp"
#include "client/near_cache.hpp"
#include "routing/near_cache_multi.hpp"
#include "routing/near_cache_rule.hpp"

namespace funnel::client {
namespace {
// A reply worth storing: not an error (which may be Funnel's own: a timeout, a lost link).
bool storable(std::string_view reply) {
  return !reply.empty() && reply[0] != '-' && reply[0] != '!';
}

constexpr int kSerialShift = 20;  // a probe's seq: kProbe | serial << 20 | key index
}  // namespace

NearCacheSession& ClientSession::start_fill(std::uint64_t seq, std::uint8_t protocol,
                                            bool elements) {
  NearCacheSession& s = near_session();
  s.fill_seq = seq;
  ++s.fill_serial;  // probes of an earlier fill still in flight are recognised and dropped
  s.fill_elements = elements;
  s.reply_held = false;
  s.fill_db = state_.db;
  s.fill_protocol = protocol;
  s.fill_keys.clear();
  return s;
}

// PTTL of the fill's key, on the link the read goes to (the client's shared link), before it.
void ClientSession::send_probe(const NearCacheSession& s, std::string_view key,
                               std::uint32_t index) {
  NearCache& cache = *ctx_.near_cache;
  routing::encode_probe(key, cache.probe);
  const std::uint64_t seq =
      NearCacheSession::kProbe | (std::uint64_t{s.fill_serial} << kSerialShift) | index;
  backend::ReplyTarget target = reply_target(seq, 0, 0);
  target.command_id = cache.pttl_id;
  target.flags = 0;
  const common::Millis deadline = common::coarse_now_ms() + ctx_.config.backend.request_timeout_ms;
  ctx_.pool->submit(state_.protocol, id_, cache.probe, target, deadline, state_.db);
}

void ClientSession::probe_answered(NearCacheSession& s, std::uint64_t seq, std::string_view reply) {
  const auto serial = static_cast<std::uint32_t>((seq & ~NearCacheSession::kProbe) >> kSerialShift);
  const std::size_t index = seq & ((1u << kSerialShift) - 1);
  if (serial != s.fill_serial || index >= s.fill_keys.size()) return;  // an earlier fill's
  s.fill_keys[index].probe = routing::probe_allows_caching(reply)
                                 ? NearCacheSession::Probe::kNoTtl
                                 : NearCacheSession::Probe::kRefused;
  if (s.reply_held && !probes_pending(s)) {
    finish_fill(s, s.held_reply);
    s.held_reply.clear();
  }
}

bool ClientSession::probes_pending(const NearCacheSession& s) const {
  for (const NearCacheSession::FillKey& k : s.fill_keys) {
    if (k.probe == NearCacheSession::Probe::kPending) return true;
  }
  return false;
}

// The read's reply: stored now if its probes are in, else held until they are.
void ClientSession::fill_answered(NearCacheSession& s, std::string_view reply, bool whole) {
  NearCache& cache = *ctx_.near_cache;
  s.fill_seq = NearCacheSession::kNoFill;
  if (!whole || !storable(reply) || s.fill_keys.empty()) {
    s.fill_keys.clear();
    return;
  }
  // The broken rule the history checker must catch: a ticket taken now forgets whatever
  // changed while the fill was in flight.
  if (cache.unsafe_for_tests && !s.fill_elements) {
    routing::CacheTicket& ticket = s.fill_keys[0].ticket;
    if (!cache.guard.open_fill(ticket.bucket, ctx_.snapshot->epoch, ticket)) ticket.epoch = 0;
  }
  if (!probes_pending(s)) return finish_fill(s, reply);
  if (reply.size() > cache.max_value_bytes * s.fill_keys.size()) {
    s.fill_keys.clear();  // too large to store whatever the probes say: not held
    return;
  }
  s.held_reply.assign(reply);
  s.reply_held = true;
}

void ClientSession::finish_fill(NearCacheSession& s, std::string_view reply) {
  NearCache& cache = *ctx_.near_cache;
  s.reply_held = false;
  if (!s.fill_elements) {
    const NearCacheSession::FillKey& k = s.fill_keys[0];
    if (k.probe == NearCacheSession::Probe::kNoTtl)
      cache.keep({s.fill_db, s.fill_protocol, s.fill_request}, reply, k.ticket);
  } else if (routing::split_elements(reply, s.fill_key_count, cache.elements)) {
    for (const NearCacheSession::FillKey& k : s.fill_keys) {
      if (k.probe != NearCacheSession::Probe::kNoTtl) continue;
      cache.keep({s.fill_db, s.fill_protocol, k.key}, cache.elements[k.position], k.ticket);
    }
  }
  s.fill_keys.clear();
  note_near_cache_size();
}

// MGET k1 k2 ...: answered from the keys' entries if every one is there, else forwarded whole;
// then the keys it missed (up to routing::kMaxElementFills) fill their entries from its reply.
bool ClientSession::near_cache_mget(const resp::Request& request, std::uint64_t seq,
                                    routing::CacheReadFacts r) {
  NearCache& cache = *ctx_.near_cache;
  const std::size_t keys = request.argc() - 1;
  r.one_key = true;  // each key is its own entry
  r.key_under_prefix = true;
  for (std::size_t i = 1; i <= keys && r.key_under_prefix; ++i)
    r.key_under_prefix = routing::under_prefix(request.arg(i), cache.prefixes);
  const routing::CacheUse use = routing::cache_use(r);
  if (use == routing::CacheUse::kNone) return false;
  const auto protocol = static_cast<std::uint8_t>(static_cast<std::uint8_t>(state_.protocol) |
                                                  routing::kElementEntry);
  std::string& out = cache.composed;
  out.clear();
  routing::append_array_header(out, keys);
  for (std::size_t i = 1; i <= keys; ++i) {
    const std::string_view hit = cache.store.find({state_.db, protocol, request.arg(i)});
    if (hit.empty()) {
      ctx_.metrics->near_cache_misses.add();
      if (use == routing::CacheUse::kServeOrFill) open_element_fill(request, seq, protocol);
      return false;
    }
    out.append(hit);
  }
  ctx_.metrics->near_cache_hits.add();
  answer_local(seq, out);
  note_near_cache_size();
  return true;
}

void ClientSession::open_element_fill(const resp::Request& request, std::uint64_t seq,
                                      std::uint8_t protocol) {
  NearCache& cache = *ctx_.near_cache;
  NearCacheSession& s = start_fill(seq, protocol, true);
  const std::size_t keys = request.argc() - 1;
  s.fill_key_count = static_cast<std::uint32_t>(keys);
  for (std::size_t i = 1; i <= keys && s.fill_keys.size() < routing::kMaxElementFills; ++i) {
    const std::string_view key = request.arg(i);
    if (!cache.store.find({state_.db, protocol, key}).empty()) continue;
    routing::CacheTicket ticket;
    if (!cache.guard.open_fill(routing::NearCacheGuard::bucket_of(key), ctx_.snapshot->epoch,
                               ticket))
      continue;
    s.fill_keys.push_back({std::string(key), static_cast<std::uint32_t>(i - 1), ticket,
                           NearCacheSession::Probe::kPending});
  }
  if (s.fill_keys.empty()) s.fill_seq = NearCacheSession::kNoFill;
  for (std::uint32_t k = 0; k < s.fill_keys.size(); ++k) send_probe(s, s.fill_keys[k].key, k);
}

}  // namespace funnel::client
