// ReplicaPools: a BackendPool per replica node, following the snapshots.
#include "backend/replica_pools.hpp"

#include <algorithm>

namespace funnel::backend {

ReplicaPools::~ReplicaPools() = default;

void ReplicaPools::update(const std::vector<ReplicaNode>& nodes) {
  std::vector<std::unique_ptr<BackendPool>> next;
  next.reserve(nodes.size());
  for (const ReplicaNode& replica : nodes) {
    auto it = std::find_if(pools_.begin(), pools_.end(), [&](const auto& pool) {
      return pool && pool->node() == replica.node_id;
    });
    if (it != pools_.end()) {
      (*it)->update_snapshot(replica.links);
      next.push_back(std::move(*it));
      continue;
    }
    PoolShape shape = shape_;
    shape.node = replica.node_id;
    auto pool = make_pool_(shape);
    pool->set_metrics(metrics_);
    pool->start(replica.links);
    next.push_back(std::move(pool));
  }
  for (auto& gone : pools_) {
    if (!gone) continue;
    gone->retire_all();
    retiring_.push_back(std::move(gone));
  }
  pools_ = std::move(next);
}

BackendPool* ReplicaPools::find(std::uint32_t node) {
  for (auto& pool : pools_) {
    if (pool->node() == node) return pool.get();
  }
  return nullptr;
}

void ReplicaPools::tick(common::Millis now) {
  for (auto& pool : pools_) pool->tick(now);
  for (auto& pool : retiring_) pool->tick(now);
  std::erase_if(retiring_, [](const auto& pool) { return pool->fully_retired(); });
}

void ReplicaPools::shutdown() {
  for (auto& pool : pools_) pool->shutdown();
  for (auto& pool : retiring_) pool->shutdown();
  // The pools stay: their links' last callbacks are posted and still refer to them.
}

std::size_t ReplicaPools::in_flight() const {
  std::size_t total = 0;
  for (const auto& pool : pools_) total += pool->in_flight();
  for (const auto& pool : retiring_) total += pool->in_flight();
  return total;
}

std::size_t ReplicaPools::links_open() const {
  std::size_t total = 0;
  for (const auto& pool : pools_) total += pool->links_open();
  return total;
}

}  // namespace funnel::backend
