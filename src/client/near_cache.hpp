// The near cache on one worker (issue #18 item 2, docs/spike-shield.md): the settings, the
// worker's entries, and what each client session remembers (its fill in flight and its writes
// to cached keys in flight). The rule is routing/near_cache_rule.hpp and near_cache_guard.hpp;
// ClientSession carries it out (session_near_cache.cpp); server/near_cache_tracker.hpp keeps the
// guard told of Redis's invalidations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
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
};

// A session's part (ReadState::near_cache; made on its first cached read or write).
struct NearCacheSession {
  static constexpr std::uint64_t kNoFill = UINT64_MAX;
  static constexpr std::uint32_t kWholeCache = UINT32_MAX;
  std::uint64_t fill_seq = kNoFill;  // the read whose reply may be stored
  routing::CacheTicket fill_ticket;
  std::string fill_request;
  std::uint32_t fill_db = 0;
  std::uint8_t fill_protocol = 2;
  struct Write {
    std::uint64_t seq;
    std::uint32_t bucket;  // kWholeCache: a write whose keys cannot be listed
  };
  std::vector<Write> writes;  // sent, reply not in yet
};

}  // namespace funnel::client
