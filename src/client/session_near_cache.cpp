// ClientSession's side of the near cache (issue #18 item 2, docs/spike-shield.md). Before a
// planned request is forwarded: a cacheable read is answered from the cache or becomes a fill (a
// ticket taken now, checked when its reply is in); a write to cached keys makes them stale in
// every worker before it is sent, and keeps them uncached until its reply is in. Cold paths: the
// session calls them only while shield.near_cache is on.
#include "client/client_session.hpp"
#include "client/near_cache.hpp"
#include "routing/near_cache_rule.hpp"
#include "security/key_positions.hpp"

namespace funnel::client {
NearCache::NearCache(const config::ShieldConfig& shield, routing::NearCacheGuard& g)
    : guard(g),
      store(g, routing::NearCacheLimits{shield.near_cache_max_bytes, shield.near_cache_max_entries,
                                        shield.near_cache_max_value_bytes}),
      unsafe_for_tests(shield.near_cache_unsafe_for_tests != 0),
      max_value_bytes(shield.near_cache_max_value_bytes),
      pttl_id(command::command_id("pttl")),
      mget_id(command::command_id("mget")) {
  std::string error;  // config validation refused bad prefixes already
  prefixes = routing::split_prefixes(shield.near_cache_prefixes, error);
  std::vector<std::string> refused;
  const std::string_view list = shield.near_cache_commands.empty()
                                    ? routing::default_near_cache_commands()
                                    : std::string_view(shield.near_cache_commands);
  for (const std::string& name : routing::split_near_cache_commands(list, refused)) {
    const std::uint16_t id = command::command_id(name);
    if (id != 0 && id < commands.size()) commands.set(id);
  }
}

void NearCache::keep(const routing::CacheKey& key, std::string_view reply,
                     const routing::CacheTicket& ticket) {
  if (!store.store(key, reply, ticket) || !share) return;
  share(routing::SharedEntry{key.db, key.protocol, std::string(key.request), std::string(reply),
                             ticket});
}

void NearCache::accept(const routing::SharedEntry& entry) {
  store.store({entry.db, entry.protocol, entry.request}, entry.reply, entry.ticket);
}

void note_near_cache_size(const NearCache& cache, metrics::WorkerMetrics& metrics) {
  metrics.near_cache_bytes.value.store(cache.store.bytes(), std::memory_order_relaxed);
  metrics.near_cache_entries.value.store(cache.store.entries(), std::memory_order_relaxed);
}

NearCacheSession& ClientSession::near_session() {
  ReadState& state = read_state();
  if (!state.near_cache) state.near_cache = std::make_unique<NearCacheSession>();
  return *state.near_cache;
}

bool ClientSession::near_cache_before(const resp::Request& request, std::uint64_t seq,
                                      std::uint8_t flags, bool read_route) {
  const command::Classification& cls = ctx_.classification;
  const routing::WriteScope scope = routing::write_scope(cls.spec, cls.read_only);
  if (scope != routing::WriteScope::kNone) {
    near_cache_write(scope, request, seq);
    return false;
  }
  NearCache& cache = *ctx_.near_cache;
  if (!cache.commands.test(cls.spec->id)) return false;
  routing::CacheReadFacts r = cache_facts(flags, read_route);
  if (cls.spec->id == cache.mget_id && request.argc() > 2) return near_cache_mget(request, seq, r);
  r.one_key = routing::names_one_key(*cls.spec, request.argc());
  r.key_under_prefix = r.one_key && routing::under_prefix(request.arg(1), cache.prefixes);
  const routing::CacheUse use = routing::cache_use(r);
  if (use == routing::CacheUse::kNone) return false;
  const auto protocol = static_cast<std::uint8_t>(state_.protocol);
  const std::string_view hit = cache.store.find({state_.db, protocol, request.raw()});
  if (!hit.empty()) {
    ctx_.metrics->near_cache_hits.add();
    answer_local(seq, hit);
    note_near_cache_size();
    return true;
  }
  ctx_.metrics->near_cache_misses.add();
  if (use == routing::CacheUse::kServeOrFill) open_fill(request, seq, protocol);
  return false;
}

// What the session's state says about a read (the request's keys are the caller's part).
routing::CacheReadFacts ClientSession::cache_facts(std::uint8_t flags, bool read_route) const {
  routing::CacheReadFacts r;
  r.listed = true;
  r.in_multi = state_.mode != plan::Mode::kNormal;
  r.pinned = state_.holds_pin();
  r.tracking = r.pinned && state_.pin_reason == plan::PinReason::kTracking;
  r.reply_off = silent_;
  r.reply_edited =
      (flags & (backend::ReplyTarget::kEdited | backend::ReplyTarget::kOutOfBand)) != 0;
  r.subscribed = subscribed();
  r.earlier_in_flight = replies_.pending() > 1;  // this request's slot is open already
  r.to_primary = !read_route && !ctx_.cluster;
  return r;
}

void ClientSession::open_fill(const resp::Request& request, std::uint64_t seq,
                              std::uint8_t protocol) {
  NearCache& cache = *ctx_.near_cache;
  routing::CacheTicket ticket;
  const std::uint32_t bucket = routing::NearCacheGuard::bucket_of(request.arg(1));
  if (!cache.guard.open_fill(bucket, ctx_.snapshot->epoch, ticket) && !cache.unsafe_for_tests)
    return;
  NearCacheSession& s = start_fill(seq, protocol, false);
  s.fill_request.assign(request.raw());
  s.fill_keys.push_back({{}, 0, ticket, NearCacheSession::Probe::kPending});
  send_probe(s, request.arg(1), 0);
}

// Before the write is handed to a link: its cached keys (or the whole cache) go stale in every
// worker now, and stay uncached until near_cache_reply sees its reply.
void ClientSession::near_cache_write(routing::WriteScope scope, const resp::Request& request,
                                     std::uint64_t seq) {
  NearCache& cache = *ctx_.near_cache;
  if (scope == routing::WriteScope::kKeys) {
    const security::KeyScan scan =
        security::for_each_key(*ctx_.classification.spec, request, [&](std::string_view key) {
          if (!routing::under_prefix(key, cache.prefixes)) return true;
          const std::uint32_t bucket = routing::NearCacheGuard::bucket_of(key);
          cache.guard.write_sent(bucket);
          near_session().writes.push_back({seq, bucket});
          return true;
        });
    if (scan == security::KeyScan::kComplete) return;
  }
  near_cache_write_all(seq);
}

void ClientSession::near_cache_write_all(std::uint64_t seq) {
  ctx_.near_cache->guard.unlisted_sent();
  near_session().writes.push_back({seq, NearCacheSession::kWholeCache});
}

// Every reply of a near-cache session passes here (`whole`: not streamed in parts). True if it
// was a fill's probe: no client waits for it.
bool ClientSession::near_cache_reply(std::uint64_t seq, std::string_view reply, bool whole) {
  if (rare_->reads == nullptr || !rare_->reads->near_cache) return false;
  NearCacheSession& s = *rare_->reads->near_cache;
  if (seq & NearCacheSession::kProbe) {
    probe_answered(s, seq, reply);
    return true;
  }
  if (seq == s.fill_seq) fill_answered(s, reply, whole);
  if (!s.writes.empty()) release_writes(s, seq);
  return false;
}

void ClientSession::release_writes(NearCacheSession& s, std::uint64_t seq) {
  std::size_t kept = 0;
  for (const NearCacheSession::Write& w : s.writes) {
    if (seq != NearCacheSession::kNoFill && w.seq != seq) {
      s.writes[kept++] = w;
    } else if (w.bucket == NearCacheSession::kWholeCache) {
      ctx_.near_cache->guard.unlisted_answered();
    } else {
      ctx_.near_cache->guard.write_answered(w.bucket);
    }
  }
  s.writes.resize(kept);
}

// The client is gone: its writes in flight stop holding keys uncached (if one still runs, Redis's
// invalidation says so, as for any writer Funnel does not see).
void ClientSession::near_cache_closed() {
  if (rare_->reads == nullptr || !rare_->reads->near_cache) return;
  NearCacheSession& s = *rare_->reads->near_cache;
  release_writes(s, NearCacheSession::kNoFill);
  s.fill_seq = NearCacheSession::kNoFill;
  s.fill_keys.clear();
  s.reply_held = false;
}

void ClientSession::note_near_cache_size() {
  client::note_near_cache_size(*ctx_.near_cache, *ctx_.metrics);
}

}  // namespace funnel::client
