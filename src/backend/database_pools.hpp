// Which databases other than 0 have shared link pools, process-wide (SELECT n). A database is
// admitted once, by the first client that selects it, and keeps its pool for the life of the
// process; at most backend.max_database_pools are admitted, which bounds the links the backend
// sees (connections_per_node per protocol in use and per database). Thread-safe: a lock is taken
// only by SELECT of a database this worker has not seen yet, never per request. A configuration
// reload sets the bound again (set_limit): a lower one admits no new database until fewer are
// admitted than it (never: pools are kept), the databases admitted keep their pools.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

namespace funnel::backend {

class DatabasePools {
 public:
  explicit DatabasePools(unsigned max_pools) : max_pools_(max_pools) {}

  // True if `db` has a pool or may have one now (then it is admitted).
  bool admit(std::uint32_t db) {
    if (db == 0) return true;
    std::lock_guard lock(mutex_);
    if (std::find(admitted_.begin(), admitted_.end(), db) != admitted_.end()) return true;
    if (admitted_.size() >= max_pools_) return false;
    admitted_.push_back(db);
    return true;
  }
  std::size_t admitted() const {
    std::lock_guard lock(mutex_);
    return admitted_.size();
  }
  unsigned limit() const {
    std::lock_guard lock(mutex_);
    return max_pools_;
  }
  void set_limit(unsigned max_pools) {
    std::lock_guard lock(mutex_);
    max_pools_ = max_pools;
  }

 private:
  unsigned max_pools_;
  mutable std::mutex mutex_;
  std::vector<std::uint32_t> admitted_;
};

}  // namespace funnel::backend
