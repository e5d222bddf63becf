// What the topology monitor knows about the nodes: who is primary, which replicas may serve
// reads, and their replication offsets. Plain data, produced on the control thread and turned
// into the workers' BackendSnapshot by server::Control.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "config/config.hpp"
#include "routing/role_report.hpp"

namespace funnel::topology {

struct NodeStatus {
  // Stable for the life of the process (assigned at first sight, never reused), so workers can
  // keep a node's links across snapshots and the OffsetBoard can index offsets by it. Below
  // routing::OffsetBoard::kMaxNodes.
  std::uint32_t node_id = 0;
  config::HostPort address;  // as configured or as announced (ROLE / Sentinel)
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // resolved; empty when unresolvable
  routing::Role role = routing::Role::kUnknown;           // from the node's own ROLE
  bool reachable = false;                                 // answered the last health check
  bool readable = false;       // a replica in the read set (healthy, in sync, not lagging)
  std::string reason;          // why not reachable / not readable; empty otherwise
  std::int64_t offset = -1;    // last polled replication offset
  std::int64_t lag_bytes = 0;  // primary offset minus this replica's
  std::int64_t last_io_seconds_ago = -1;  // replica: seconds since it last heard the primary
  std::string redis_version;
  // Availability zone: the node's [[topology.nodes]] entry, else what the node reports; "" unknown.
  std::string zone;
};

struct TopologyView {
  std::optional<std::size_t> primary;  // index into nodes; none while no primary is known
  std::vector<NodeStatus> nodes;       // the primary and the replicas (other roles never)
  std::uint64_t failovers = 0;         // primary changes observed since start
  std::string error;                   // why there is no primary (sentinels unreachable, ...)

  const NodeStatus* primary_node() const { return primary ? &nodes[*primary] : nullptr; }
};

}  // namespace funnel::topology
