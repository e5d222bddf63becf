// Test fixtures (funnel::test): a real local Redis Cluster of redis-server processes on free
// loopback ports (issue #16): 3 primaries + 3 replicas made by `redis-cli --cluster create`, or
// one node that owns all 16384 slots. Each node has its own temp dir (nodes.conf, log); all are
// stopped by PID when the fixture goes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/redis_server.hpp"

namespace funnel::test {

class RedisCluster {
 public:
  // `primaries` primaries with `replicas_per_primary` replicas each, node-timeout 2000 ms.
  // Returns once every node says cluster_state:ok and lists every slot (deadline 30 s); throws
  // with redis-cli's output otherwise.
  static std::unique_ptr<RedisCluster> start(int primaries = 3, int replicas_per_primary = 1);
  // One node owning slots 0-16383 (CLUSTER ADDSLOTSRANGE): it reports an empty endpoint for
  // itself in CLUSTER SLOTS/SHARDS, as a cluster-mode endpoint behind one address does.
  static std::unique_ptr<RedisCluster> start_single();

  std::size_t size() const { return nodes_.size(); }
  RedisServer& node(std::size_t i) { return *nodes_[i]; }
  std::uint16_t port(std::size_t i) const { return nodes_[i]->port(); }
  std::vector<std::uint16_t> ports() const;
  // The port of the primary serving `slot`, asked of node 0 (CLUSTER SLOTS). 0 if none.
  std::uint16_t primary_port_for_slot(std::uint16_t slot) const;
  // Ports of the nodes whose ROLE is master / slave, as they say now.
  std::vector<std::uint16_t> primary_ports() const;
  std::vector<std::uint16_t> replica_ports() const;
  // Waits (deadline `timeout`) until every running node says cluster_state:ok and agrees with
  // node 0 on which primary serves each of a few sample slots.
  bool wait_converged(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  RedisCluster() = default;
  void create(int replicas_per_primary);

  TempDir dir_{"funnel-cluster"};
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

// The extra redis-server arguments of a cluster node.
std::vector<std::string> cluster_node_args();

}  // namespace funnel::test
