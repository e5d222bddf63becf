// Worker's cluster mode (issue #16, docs/cluster.md): a pool per shard primary (the main pool
// is the one of the primary serving slot 0: never two pools to one node), a pool per shard
// replica when the read policy reads from replicas (READONLY on their links), pools of nodes
// that left the map retired (their links answer what they carry, then close), a pinned pool per
// shard primary (the main node's is the worker's own), and the session context's slot routing
// pointed at the new layout.
#include "server/process.hpp"
#include "server/worker.hpp"

namespace funnel::server {

void Worker::make_cluster_pools(const backend::PoolShape& shape,
                                const backend::ReplicaPools::PoolFactory& make_pool) {
  backend::PoolShape primaries = shape;
  primaries.primary_names = true;
  backend::PoolShape replicas = shape;
  replicas.readonly_links = true;
  cluster_primaries_ = std::make_unique<backend::ReplicaPools>(primaries, make_pool);
  cluster_replicas_ = std::make_unique<backend::ReplicaPools>(replicas, make_pool);
  cluster_primaries_->set_metrics(metrics_.get());
  cluster_replicas_->set_metrics(metrics_.get());
  router_->set_cluster_pools(cluster_primaries_.get(), cluster_replicas_.get());
  cluster_pinned_ = std::make_unique<backend::ClusterPinnedPools>(process_.pin_budgets(), [this] {
    const config::BackendConfig& backend = config_.backend;  // the reloaded bounds
    auto pool = std::make_unique<backend::PinnedPool>(
        io_, process_.link_settings(),
        backend::PinnedLimits{backend.max_pinned, backend.pinned_borrow_timeout_ms}, *router_,
        process_.counters());
    pool->set_link_event_hook([this] {
      if (!context_->turn_waiters.empty()) client::resume_turn_waiters(*context_);
    });
    pool->set_redirect_hook([this] { process_.request_cluster_refresh(); });
    pool->set_metrics(metrics_.get());
    return pool;
  });
}

void Worker::apply_cluster(const backend::BackendSnapshot& snapshot) {
  const backend::ClusterLayout& layout = *snapshot.cluster;
  const bool read_replicas = process_.read_policy() != routing::ReadPolicy::kPrimary;
  std::vector<backend::ReplicaNode> primaries;
  std::vector<backend::ReplicaNode> replicas;
  for (const backend::ClusterShard& shard : layout.shards) {
    if (shard.primary.links->address != snapshot.address) primaries.push_back(shard.primary);
    if (read_replicas)
      replicas.insert(replicas.end(), shard.replicas.begin(), shard.replicas.end());
  }
  for (const backend::ReplicaNode& spare : layout.spares) {
    if (spare.links->address != snapshot.address) primaries.push_back(spare);
  }
  cluster_primaries_->update(primaries);
  cluster_replicas_->update(replicas);
  client::ClusterRoutes& routes = context_->cluster_routes;
  routes.layout = snapshot.cluster;
  routes.primaries.assign(layout.shards.size(), pool_.get());
  routes.replicas.assign(layout.shards.size(), {});
  routes.pinned.assign(layout.shards.size(), pinned_.get());
  for (std::size_t i = 0; i < layout.shards.size(); ++i) {
    const backend::ClusterShard& shard = layout.shards[i];
    if (auto* pool = cluster_primaries_->find(shard.primary.node_id)) routes.primaries[i] = pool;
    if (shard.primary.links->address != snapshot.address) {
      routes.pinned[i] = &cluster_pinned_->for_node(shard.primary.links);
    }
    for (const backend::ReplicaNode& replica : shard.replicas) {
      if (auto* pool = cluster_replicas_->find(replica.node_id)) routes.replicas[i].push_back(pool);
    }
  }
  routes.spares.clear();
  for (const backend::ReplicaNode& spare : layout.spares) {
    routes.spares.push_back(cluster_primaries_->find(spare.node_id));  // null: the main node's
  }
  context_->slot_map = &layout.map;
  context_->route_reads = read_replicas;
  router_->on_cluster_layout();
}

}  // namespace funnel::server
