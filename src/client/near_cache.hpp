// The near cache on one worker (issue #18 item 2, docs/spike-shield.md): the settings, the
// worker's entries, and what each client session remembers (its fill in flight and its writes
// to cached keys in flight). The rule is routing/near_cache_rule.hpp and near_cache_guard.hpp;
// ClientSession carries it out (session_near_cache.cpp); server/near_cache_tracker.hpp keeps the
// guard told of Redis's invalidations.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "metrics/worker_metrics.hpp"
#include "routing/coalesce_rule.hpp"
#include "routing/near_cache_guard.hpp"
#include "routing/near_cache_store.hpp"

namespace funnel::client {

// One per worker, owned by it; null in the SessionContext when shield.near_cache is off.
struct NearCache {
  NearCache(const config::ShieldConfig& shield, routing::NearCacheGuard& guard);
  routing::NearCacheGuard& guard;  // process-wide
  routing::NearCacheStore store;   // this worker's entries
  std::vector<std::string> prefixes;
  routing::CommandSet commands;  // by command::command_id
  bool unsafe_for_tests = false;
  std::uint64_t max_value_bytes = 0;
  std::uint16_t pttl_id = 0;               // command::command_id("pttl"): the probes' metrics label
  std::uint16_t mget_id = 0;               // MGET of several keys is answered element by element
  std::string probe;                       // the probe being sent (reused)
  std::string composed;                    // an MGET reply composed from entries (reused)
  std::vector<std::string_view> elements;  // an MGET reply's elements (reused)
  // Offers an entry this worker stored to the other workers (set by the server; empty with one).
  std::function<void(routing::SharedEntry)> share;

  // Stores a fill's reply and, if stored, offers it to the other workers.
  void keep(const routing::CacheKey& key, std::string_view reply,
            const routing::CacheTicket& ticket);
  // Another worker's entry (on this worker's thread).
  void accept(const routing::SharedEntry& entry);
};

// The cache's size into this worker's gauges.
void note_near_cache_size(const NearCache& cache, metrics::WorkerMetrics& metrics);

// A session's part (ReadState::near_cache; made on its first cached read or write).
struct NearCacheSession {
  static constexpr std::uint64_t kNoFill = UINT64_MAX;
  static constexpr std::uint32_t kWholeCache = UINT32_MAX;
  // A fill's PTTL probe (routing/near_cache_multi.hpp) is answered to this reply "sequence
  // number", which no client request has: the bit, the fill's serial, the key's index.
  static constexpr std::uint64_t kProbe = 1ull << 63;
  enum class Probe : std::uint8_t { kPending, kNoTtl, kRefused };
  struct FillKey {
    std::string key;              // an MGET element's key (empty for a whole-request fill)
    std::uint32_t position = 0;   // its place among the MGET's keys
    routing::CacheTicket ticket;  // taken before the read and its probe were sent
    Probe probe = Probe::kPending;
  };
  std::uint64_t fill_seq = kNoFill;  // the read whose reply may be stored
  std::uint32_t fill_serial = 0;     // which fill the probes in flight belong to
  bool fill_elements = false;        // an MGET: one entry per key, not one for the request
  bool reply_held = false;           // the read's reply came before its probes' (held_reply)
  std::string fill_request;          // a whole-request fill's entry key: the request's bytes
  std::uint32_t fill_key_count = 0;  // an MGET's: how many keys it named
  std::uint32_t fill_db = 0;
  std::uint8_t fill_protocol = 2;
  std::vector<FillKey> fill_keys;
  std::string held_reply;
  struct Write {
    std::uint64_t seq;
    std::uint32_t bucket;  // kWholeCache: a write whose keys cannot be listed
  };
  std::vector<Write> writes;  // sent, reply not in yet
};

}  // namespace funnel::client
