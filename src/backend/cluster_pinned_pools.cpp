// PinBudgets and ClusterPinnedPools: see cluster_pinned_pools.hpp.
#include "backend/cluster_pinned_pools.hpp"

#include <algorithm>

#include "backend/backend_snapshot.hpp"

namespace funnel::backend {

PinBudget& PinBudgets::for_node(const std::string& address) {
  const std::lock_guard lock(mutex_);
  std::unique_ptr<PinBudget>& budget = budgets_[address];
  if (!budget) budget = std::make_unique<PinBudget>();
  return *budget;
}

void PinBudgets::read(std::vector<metrics::PinnedNodeState>& out) const {
  const std::lock_guard lock(mutex_);
  for (const auto& [address, budget] : budgets_) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const metrics::PinnedNodeState& n) { return n.node == address; });
    if (it == out.end()) it = out.insert(out.end(), metrics::PinnedNodeState{address});
    it->open += budget->open.load(std::memory_order_relaxed);
    it->leased += budget->leased.load(std::memory_order_relaxed);
    it->waiting += budget->waiting.load(std::memory_order_relaxed);
  }
}

PinnedPool& ClusterPinnedPools::for_node(const SnapshotPtr& links) {
  std::unique_ptr<PinnedPool>& pool = pools_[links->address];
  if (!pool) {
    pool = make_pool_();
    pool->set_budget(budgets_.for_node(links->address));
  }
  pool->set_snapshot(links);
  return *pool;
}

void ClusterPinnedPools::tick(common::Millis now) {
  for (auto& [address, pool] : pools_) pool->tick(now);
}

void ClusterPinnedPools::set_limits(PinnedLimits limits) {
  for (auto& [address, pool] : pools_) pool->set_limits(limits);
}

void ClusterPinnedPools::shutdown() {
  for (auto& [address, pool] : pools_) pool->shutdown();
}

}  // namespace funnel::backend
