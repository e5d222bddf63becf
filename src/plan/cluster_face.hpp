// What a cluster-aware client sees when it asks Funnel about the cluster (issue #16, item 6): a
// one-shard cluster whose only node is Funnel's announced address (cluster.announce, default
// server.listen), so ioredis's Cluster, node-redis's createCluster and redis-py's RedisCluster
// send everything to Funnel and Funnel routes by slot. Replies are shaped as redis-server
// 7.0.15's for a lone node owning every slot, in RESP2 and RESP3. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "command/classify.hpp"
#include "plan/plan.hpp"

namespace funnel::plan {

// The address Funnel announces. An empty host (a wildcard listen address and no announce) is
// sent as Redis sends an unknown one: empty, meaning "the address you connected to".
struct ClusterAddress {
  std::string_view host;
  std::uint16_t port = 0;
};

// A stable 40-hex node id derived from the announced address: every Funnel instance behind one
// address gives the same id, and a restart keeps it.
std::string cluster_node_id(const ClusterAddress& address);

// The plan for CLUSTER <subcommand>, READONLY, READWRITE and ASKING in cluster mode, after the
// refusals: answered (reply bytes built in `scratch`), refused with a clear error, or forwarded
// (HELP). Returns false for any other command. READONLY, READWRITE and ASKING are answered +OK:
// sent on a shared link they would change it for every client on it.
bool plan_cluster_face(const command::Classification& cls, const resp::Request& request,
                       resp::Protocol protocol, const ClusterAddress& address, std::string& scratch,
                       Plan& out);

}  // namespace funnel::plan
