// Cluster mode's pinned links (issue #16, docs/cluster.md): one worker's PinnedPool per shard
// primary other than the main node (whose pool is the worker's own), so WATCH, a blocking command
// or MULTI after WATCH run on a link to the shard that owns their key. Each node's budget is
// backend.max_pinned for the whole process, as the core's: the workers' pools for one node count
// against one PinBudget from the process's PinBudgets.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "backend/pinned_pool.hpp"
#include "metrics/exposition.hpp"

namespace funnel::backend {

// Every cluster node's pinned budget, by address, for the whole process. Thread-safe; asked only
// when a worker first meets a node (never per request). Budgets live as long as the process.
class PinBudgets {
 public:
  PinBudget& for_node(const std::string& address);
  // The per-node gauges (any thread; once per scrape): each node's open, leased and waiting
  // counts, added to `out`'s entry of the same address or appended.
  void read(std::vector<metrics::PinnedNodeState>& out) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<PinBudget>> budgets_;
};

class ClusterPinnedPools {
 public:
  // Builds a PinnedPool wired like the worker's own (limits, sink, hooks, metrics).
  using PoolFactory = std::function<std::unique_ptr<PinnedPool>()>;

  ClusterPinnedPools(PinBudgets& budgets, PoolFactory make_pool)
      : budgets_(budgets), make_pool_(std::move(make_pool)) {}

  // The pool for the node `links` describes (by address), made on first use; its snapshot is
  // brought up to date. A node that leaves the map keeps its pool: its lessees' links stay
  // theirs until released, and no new lease goes there (the routes no longer name it).
  PinnedPool& for_node(const SnapshotPtr& links);

  void tick(common::Millis now);
  void shutdown();
  // A configuration reload: every pool made so far takes the new bounds (the factory reads the
  // worker's current settings for the pools made later).
  void set_limits(PinnedLimits limits);

 private:
  PinBudgets& budgets_;
  PoolFactory make_pool_;
  std::map<std::string, std::unique_ptr<PinnedPool>> pools_;  // by node address
};

}  // namespace funnel::backend
