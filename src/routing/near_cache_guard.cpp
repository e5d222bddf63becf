// NearCacheGuard (near_cache_guard.hpp). Sequentially consistent atomics throughout: a write's
// bump must be visible to every worker before its bytes leave Funnel, and on x86 the loads on
// the serving side are plain loads.
#include "routing/near_cache_guard.hpp"

#include <functional>

namespace funnel::routing {

NearCacheGuard::NearCacheGuard() : buckets_(std::make_unique<Bucket[]>(kBuckets)) {}

std::uint32_t NearCacheGuard::bucket_of(std::string_view key) {
  return static_cast<std::uint32_t>(std::hash<std::string_view>{}(key) % kBuckets);
}

void NearCacheGuard::subscribed(std::uint64_t snapshot_epoch) {
  epoch_.fetch_add(1);  // fills sent before the subscription may predate it
  subscribed_to_.store(snapshot_epoch + 1);
}

void NearCacheGuard::lost() {
  subscribed_to_.store(0);
  epoch_.fetch_add(1);
  invalidations_.fetch_add(1, std::memory_order_relaxed);
}

void NearCacheGuard::invalidate(std::string_view key) {
  buckets_[bucket_of(key)].generation.fetch_add(1);
  invalidations_.fetch_add(1, std::memory_order_relaxed);
}

void NearCacheGuard::drop_all() {
  epoch_.fetch_add(1);
  invalidations_.fetch_add(1, std::memory_order_relaxed);
}

// The count goes up before the generation: a fill that read the old generation sees the count
// (or the new generation) when its reply is checked.
void NearCacheGuard::write_sent(std::uint32_t bucket) {
  buckets_[bucket].writes.fetch_add(1);
  buckets_[bucket].generation.fetch_add(1);
}

// The generation moves again at the reply: a fill sent while the write was in flight may have
// run before it (on another link) and is refused, even if its reply comes after this one.
void NearCacheGuard::write_answered(std::uint32_t bucket) {
  buckets_[bucket].generation.fetch_add(1);
  buckets_[bucket].writes.fetch_sub(1);
}

void NearCacheGuard::unlisted_sent() {
  unlisted_writes_.fetch_add(1);
  epoch_.fetch_add(1);
}

void NearCacheGuard::unlisted_answered() {
  epoch_.fetch_add(1);
  unlisted_writes_.fetch_sub(1);
}

bool NearCacheGuard::open_fill(std::uint32_t bucket, std::uint64_t snapshot_epoch,
                               CacheTicket& t) const {
  t.epoch = epoch_.load();
  t.bucket = bucket;
  t.generation = buckets_[bucket].generation.load();
  if (subscribed_to_.load() != snapshot_epoch + 1) return false;
  return unlisted_writes_.load() == 0 && buckets_[bucket].writes.load() == 0;
}

bool NearCacheGuard::current(const CacheTicket& t) const {
  const Bucket& b = buckets_[t.bucket];
  return b.generation.load() == t.generation && b.writes.load() == 0 && epoch_.load() == t.epoch &&
         unlisted_writes_.load() == 0 && subscribed_to_.load() != 0;
}

}  // namespace funnel::routing
