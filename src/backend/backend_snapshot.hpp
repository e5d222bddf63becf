// What workers know about the backend, published whole by the control thread and swapped between
// batches: where the primary is (resolved once per interval, never per client), which Redis it
// runs, its command table, and the replicas that may serve reads (issue #5, docs/topology.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "backend/link_settings.hpp"
#include "backend/node_access.hpp"
#include "command/command_table.hpp"
#include "routing/offset_board.hpp"
#include "routing/slot_map.hpp"

namespace funnel::backend {

struct BackendSnapshot;

// A replica as the workers see it. `links` is the snapshot its own link pool connects with (its
// address, endpoints and an epoch of its own); node_id is stable across snapshots.
struct ReplicaNode {
  std::uint32_t node_id = 0;
  std::shared_ptr<const BackendSnapshot> links;
  bool readable = false;    // in the read set: healthy, in sync, not lagging
  bool local_zone = false;  // in Funnel's own availability zone (server.zone; prefer-local-zone)
};

// A Redis Cluster as the workers see it (issue #16): the slot map and, per shard in the map's
// order, its primary and replicas with their own link snapshots and stable node ids (ids of
// cluster nodes start at kClusterNodeBase, apart from the replica topology's).
struct ClusterShard {
  ReplicaNode primary;
  std::vector<ReplicaNode> replicas;  // online replicas; `readable` as the map says
};
struct ClusterLayout {
  static constexpr std::uint32_t kClusterNodeBase = 0x10000;
  routing::SlotMap map;
  std::vector<ClusterShard> shards;  // shards[i] is map.shards()[i]
  std::vector<ReplicaNode> spares;   // spares[i] is map.spares()[i]: followed only by an ASK
  std::uint64_t version = 0;         // bumps with every change the workers must apply
  // When the slot map read that confirmed this layout began (coarse ms): a redirect parked
  // before then to an unlisted address is answered with its error (client/redirects.cpp).
  std::int64_t read_started_ms = 0;
};

struct BackendSnapshot {
  std::uint64_t epoch = 0;  // bumps when links must be replaced
  std::string address;      // "host:port" as configured, for messages
  std::string host;         // the host part: TLS server name unless backend.tls_server_name is set
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // resolved; empty when unresolvable
  std::string resolve_error;                              // why endpoints is empty
  std::string redis_version;  // e.g. "7.0.15"; empty until first contact
  std::shared_ptr<const command::CommandTable> commands;

  // Topology (empty for a single node). Replicas known, readable or not, in a stable order.
  std::uint32_t primary_node_id = 0;
  std::vector<ReplicaNode> replicas;
  std::uint32_t health_epoch = 0;  // bumps whenever a node enters or leaves the read set
  std::uint64_t failovers = 0;     // primary changes observed since start
  // Replication offsets for read-your-writes; null when topology.read_your_writes is off.
  std::shared_ptr<const routing::OffsetBoard> offsets;
  // Cluster mode (cluster.seeds): the slot map and every shard's links; null until the first
  // map is read, and always for other topologies. The node above (address, endpoints) is then
  // the primary of the shard serving slot 0: its links are the workers' main pool.
  std::shared_ptr<const ClusterLayout> cluster;
};

using SnapshotPtr = std::shared_ptr<const BackendSnapshot>;

// The name a node's TLS certificate must carry: its [[topology.nodes]] tls_server_name, else
// backend.tls_server_name when set, else the host the node is known by.
inline const std::string& tls_server_name(const LinkSettings& settings,
                                          const BackendSnapshot& node) {
  if (const std::string* own = node_server_name(settings, node.address)) return *own;
  return settings.tls_server_name.empty() ? node.host : settings.tls_server_name;
}

}  // namespace funnel::backend
