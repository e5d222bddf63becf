// One worker's link pools to the replicas that serve reads (issue #5): a BackendPool per replica
// node, keyed by the node's stable id, created when a snapshot first names the node and retired
// (links finish what they carry, then close) when it no longer does. Each replica gets the same
// budget as the primary: connections_per_node shared links per protocol in use, database 0 only
// (reads of other databases go to the primary's database pools).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "backend/backend_pool.hpp"

namespace funnel::backend {

class ReplicaPools {
 public:
  // Builds a pool wired like the worker's primary pool, for the node in `shape.node`.
  using PoolFactory = std::function<std::unique_ptr<BackendPool>(PoolShape shape)>;

  ReplicaPools(PoolShape shape, PoolFactory make_pool)
      : shape_(shape), make_pool_(std::move(make_pool)) {}
  ~ReplicaPools();

  // Creates pools for new replicas, passes each existing one its node's snapshot, retires the
  // pools of nodes the snapshot no longer lists.
  void update(const BackendSnapshot& snapshot) { update(snapshot.replicas); }
  // The same for any list of nodes (a Redis Cluster's shard primaries or replicas).
  void update(const std::vector<ReplicaNode>& nodes);
  // The pool of replica `node`, or null if this worker has none (not in its snapshot yet).
  BackendPool* find(std::uint32_t node);

  // A reload's connections_per_node, for every replica's pool (see BackendPool::resize).
  void resize(unsigned connections_per_node);
  void retire_extra_links();
  void tick(common::Millis now);
  void shutdown();
  void set_metrics(metrics::WorkerMetrics* metrics) { metrics_ = metrics; }
  std::size_t in_flight() const;
  std::size_t links_open() const;

 private:
  PoolShape shape_;
  PoolFactory make_pool_;
  metrics::WorkerMetrics* metrics_ = nullptr;
  std::vector<std::unique_ptr<BackendPool>> pools_;     // one per replica in the snapshot
  std::vector<std::unique_ptr<BackendPool>> retiring_;  // nodes gone; freed once drained
};

}  // namespace funnel::backend
