// One worker's near cache entries (issue #18 item 2): stored replies by database, protocol and
// request bytes, bounded in bytes and entries, least recently used first out. Whether an entry
// is still current is the shared NearCacheGuard's call (near_cache_guard.hpp): a stale entry is
// dropped when it is found, and every entry when the guard's epoch moves (a flush, a lost
// tracking link). Worker thread only; no I/O.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "routing/near_cache_guard.hpp"

namespace funnel::routing {

struct NearCacheLimits {
  std::uint64_t max_bytes = 64ull << 20;
  std::uint64_t max_entries = 100000;
  std::uint64_t max_value_bytes = 64ull << 10;  // a larger reply is never stored
};

// Where an entry is found: the request's database, protocol (RESP2 and RESP3 replies differ) and
// bytes as the client sent them.
struct CacheKey {
  std::uint32_t db = 0;
  std::uint8_t protocol = 2;
  std::string_view request;
  bool operator==(const CacheKey& o) const {
    return db == o.db && protocol == o.protocol && request == o.request;
  }
};

// An entry one worker stored, offered to the other workers, which store it under the same ticket:
// the ticket is the process-wide guard's, so the copy is exactly as current as the original, and
// each write costs the backend one refill per process instead of one per worker.
struct SharedEntry {
  std::uint32_t db = 0;
  std::uint8_t protocol = 2;
  std::string request;
  std::string reply;
  CacheTicket ticket;
};

class NearCacheStore {
 public:
  NearCacheStore(const NearCacheGuard& guard, NearCacheLimits limits)
      : guard_(guard), limits_(limits) {}

  // The stored reply for `key` if it is still current (valid until the next call); empty if none.
  std::string_view find(const CacheKey& key);
  // Stores `reply` for `key` if the fill's ticket is still current and it fits the limits.
  // Returns true if stored.
  bool store(const CacheKey& key, std::string_view reply, const CacheTicket& ticket);

  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t entries() const { return index_.size(); }
  // What one entry is counted as, beyond its bytes (the node, the index slot).
  static constexpr std::uint64_t kEntryOverhead = 128;

 private:
  struct Entry {
    std::string request;
    std::string reply;
    std::uint32_t db = 0;
    std::uint8_t protocol = 2;
    CacheTicket ticket;
  };
  using Lru = std::list<Entry>;  // front: most recently used
  struct KeyHash {
    std::size_t operator()(const CacheKey& k) const;
  };
  void sync_epoch();
  void erase(Lru::iterator it);
  void evict_to_fit(std::uint64_t incoming);

  const NearCacheGuard& guard_;
  NearCacheLimits limits_;
  Lru lru_;
  std::unordered_map<CacheKey, Lru::iterator, KeyHash> index_;  // keys view into lru_'s entries
  std::uint64_t bytes_ = 0;
  std::uint64_t epoch_ = 0;
};

}  // namespace funnel::routing
