// NearCacheStore (near_cache_store.hpp).
#include "routing/near_cache_store.hpp"

#include <functional>

namespace funnel::routing {

std::size_t NearCacheStore::KeyHash::operator()(const CacheKey& k) const {
  return std::hash<std::string_view>{}(k.request) ^ (std::size_t{k.db} << 8) ^ k.protocol;
}

// The guard's epoch moved (a flush, a lost or new tracking link, a write whose keys are unknown):
// no entry can be current, so their memory goes at once.
void NearCacheStore::sync_epoch() {
  const std::uint64_t now = guard_.epoch();
  if (now == epoch_) return;
  epoch_ = now;
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

std::string_view NearCacheStore::find(const CacheKey& key) {
  sync_epoch();
  const auto found = index_.find(key);
  if (found == index_.end()) return {};
  const Lru::iterator it = found->second;
  if (!guard_.current(it->ticket)) {
    erase(it);
    return {};
  }
  lru_.splice(lru_.begin(), lru_, it);
  return it->reply;
}

bool NearCacheStore::store(const CacheKey& key, std::string_view reply, const CacheTicket& ticket) {
  sync_epoch();
  if (reply.empty() || reply.size() > limits_.max_value_bytes) return false;
  if (!guard_.current(ticket)) return false;
  const std::uint64_t cost = key.request.size() + reply.size() + kEntryOverhead;
  if (cost > limits_.max_bytes || limits_.max_entries == 0) return false;
  if (const auto found = index_.find(key); found != index_.end()) erase(found->second);
  evict_to_fit(cost);
  lru_.push_front(
      Entry{std::string(key.request), std::string(reply), key.db, key.protocol, ticket});
  const Entry& e = lru_.front();
  index_.emplace(CacheKey{e.db, e.protocol, e.request}, lru_.begin());
  bytes_ += cost;
  return true;
}

void NearCacheStore::erase(Lru::iterator it) {
  bytes_ -= it->request.size() + it->reply.size() + kEntryOverhead;
  index_.erase(CacheKey{it->db, it->protocol, it->request});
  lru_.erase(it);
}

void NearCacheStore::evict_to_fit(std::uint64_t incoming) {
  while (!lru_.empty() &&
         (bytes_ + incoming > limits_.max_bytes || index_.size() + 1 > limits_.max_entries)) {
    erase(std::prev(lru_.end()));
  }
}

}  // namespace funnel::routing
