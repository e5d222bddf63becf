// A reload's backend.connections_per_node (issue #17, item 1): the shared pools grow or shrink
// with no request lost or reordered. Two steps, because a worker that owns no link hands its
// requests to the owner of the link its clients map to, and the workers apply a reload one after
// the other:
//  1. resize() (each worker, between two batches): the requests this worker routes from now on
//     use the new count (its sessions wait at the lane barrier until what they have in flight on
//     the old mapping is answered: plan::SessionState::pool_layout); links the new count adds
//     and this worker owns open; links beyond it stay, to carry what workers still on the old
//     count hand over.
//  2. retire_extra_links() (each worker, once every worker has done step 1): the links beyond
//     the count take nothing more, answer what they carry, then close.
#include <utility>

#include "backend/backend_pool.hpp"
#include "backend/replica_pools.hpp"

namespace funnel::backend {

void BackendPool::resize(unsigned connections_per_node) {
  const unsigned before = shape_.connections_per_node;
  shape_.connections_per_node = connections_per_node;
  for_each_table([&](std::uint32_t, LinkTable& table) {
    for (auto& links : table) {
      if (links.size() < connections_per_node) links.resize(connections_per_node);
    }
  });
  if (!snapshot_) return;  // not started: start() opens them
  for (unsigned i = before; i < connections_per_node; ++i) {
    if (owns(i)) ensure_link(resp::Protocol::kResp2, i);
  }
}

void BackendPool::retire_extra_links() {
  const unsigned count = shape_.connections_per_node;
  for_each_table([&](std::uint32_t, LinkTable& table) {
    for (auto& links : table) {
      for (std::size_t i = count; i < links.size(); ++i) {
        if (!links[i]) continue;
        retiring_.push_back(std::exchange(links[i], nullptr));
        retiring_.back()->retire();  // answers what it carries, then closes
      }
      if (links.size() > count) links.resize(count);
    }
  });
}

void ReplicaPools::resize(unsigned connections_per_node) {
  shape_.connections_per_node = connections_per_node;  // pools made from now on
  for (auto& pool : pools_) pool->resize(connections_per_node);
}

void ReplicaPools::retire_extra_links() {
  for (auto& pool : pools_) pool->retire_extra_links();
}

}  // namespace funnel::backend
