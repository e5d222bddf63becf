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
#include "command/command_table.hpp"
#include "routing/offset_board.hpp"

namespace funnel::backend {

struct BackendSnapshot;

// A replica as the workers see it. `links` is the snapshot its own link pool connects with (its
// address, endpoints and an epoch of its own); node_id is stable across snapshots.
struct ReplicaNode {
  std::uint32_t node_id = 0;
  std::shared_ptr<const BackendSnapshot> links;
  bool readable = false;  // in the read set: healthy, in sync, not lagging
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
};

using SnapshotPtr = std::shared_ptr<const BackendSnapshot>;

// The name a node's TLS certificate must carry: backend.tls_server_name when set, else the host
// the node is known by.
inline const std::string& tls_server_name(const LinkSettings& settings,
                                          const BackendSnapshot& node) {
  return settings.tls_server_name.empty() ? node.host : settings.tls_server_name;
}

}  // namespace funnel::backend
