// The near cache's process-wide rule (issue #18 item 2, docs/spike-shield.md): may a read's reply
// be stored, and is a stored reply still current? Every worker keeps its own entries
// (near_cache_store.hpp); what invalidates them is shared here, lock-free, so that a write one
// worker sends makes every worker's entry for its key stale before the write leaves Funnel, and
// an invalidation the tracking link reads reaches every worker at once. No I/O.
//
// Generations: each key hashes to a bucket with a generation and a count of writes in flight.
// A fill takes a ticket when it is sent (the bucket's generation and the cache's epoch) and is
// stored only if the ticket is still current when its reply is in: no invalidation of its key
// (from Redis, from a write through Funnel, from a flush or a lost tracking link) arrived in
// between. Buckets are shared by keys that hash alike: a collision only drops more.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace funnel::routing {

// What a fill (and then the entry it made) was checked against.
struct CacheTicket {
  std::uint64_t epoch = 0;   // NearCacheGuard's epoch when the fill was sent
  std::uint32_t bucket = 0;  // the key's bucket
  std::uint32_t generation = 0;
};

class NearCacheGuard {
 public:
  static constexpr std::uint32_t kBuckets = 1u << 14;
  NearCacheGuard();

  static std::uint32_t bucket_of(std::string_view key);

  // The tracking link (any thread). subscribed(): CLIENT TRACKING was accepted by the primary of
  // backend snapshot `snapshot_epoch`; fills sent to that snapshot's primary may be stored from
  // now. lost(): the link is gone or its state unknown: everything is dropped and nothing is
  // stored or served until subscribed() again.
  void subscribed(std::uint64_t snapshot_epoch);
  void lost();
  // Redis said `key` changed (in some database: the message does not say which).
  void invalidate(std::string_view key);
  // Redis said everything changed (FLUSHALL, FLUSHDB: a null invalidation).
  void drop_all();

  // Writes through Funnel (worker threads). A write to a cached key: from before it is sent
  // until its reply is in, nothing of its bucket is stored or served. A write whose keys cannot
  // be listed (a script, FLUSHALL, SWAPDB, a transaction): the same for the whole cache.
  void write_sent(std::uint32_t bucket);
  void write_answered(std::uint32_t bucket);
  void unlisted_sent();
  void unlisted_answered();

  // A fill sent now, to the primary of snapshot `snapshot_epoch`: false if its reply may not be
  // stored whatever comes back (not subscribed to that primary, a write in flight); else `t`.
  bool open_fill(std::uint32_t bucket, std::uint64_t snapshot_epoch, CacheTicket& t) const;
  // True while nothing `t` depends on changed: a fill's reply may be stored, an entry served.
  bool current(const CacheTicket& t) const;

  std::uint64_t epoch() const { return epoch_.load(); }
  std::uint64_t invalidations() const { return invalidations_.load(std::memory_order_relaxed); }

 private:
  struct Bucket {
    std::atomic<std::uint32_t> generation{0};
    std::atomic<std::uint32_t> writes{0};
  };
  std::atomic<std::uint64_t> epoch_{1};
  std::atomic<std::uint64_t> subscribed_to_{0};  // snapshot epoch + 1; 0: not subscribed
  std::atomic<std::uint32_t> unlisted_writes_{0};
  std::atomic<std::uint64_t> invalidations_{0};
  std::unique_ptr<Bucket[]> buckets_;
};

}  // namespace funnel::routing
