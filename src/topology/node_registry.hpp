// The nodes the topology monitor knows, by stable id. Identity is the resolved endpoint: a node
// known by a DNS name and by its IP (a seed name that answers a replica's address, a replica the
// primary announces by IP) is one node. No I/O; the monitor resolves names and hands endpoints in.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "config/config.hpp"
#include "topology/topology_view.hpp"

namespace funnel::topology {

struct NodeEntry {
  NodeStatus status;           // node_id, address, endpoints and what the last check learnt
  bool configured = false;     // named by the configuration (single/static): never dropped
  unsigned missed_rounds = 0;  // rounds in a row neither named by the source nor reachable
};

class NodeRegistry {
 public:
  using Endpoint = boost::asio::ip::tcp::endpoint;
  // Ids are never reused: after this many nodes over the process's life, new ones are refused
  // (routing::OffsetBoard::kMaxNodes).
  explicit NodeRegistry(std::uint32_t max_ids);

  // The node at `endpoints` (any endpoint in common) or, when endpoints is empty (unresolvable),
  // the node with that address; else a new node. nullopt when the id space is spent.
  std::optional<std::uint32_t> upsert(const config::HostPort& address,
                                      const std::vector<Endpoint>& endpoints, bool configured);
  // The node sharing an endpoint with `endpoints`, if any.
  NodeEntry* find(const std::vector<Endpoint>& endpoints);
  NodeEntry* find(std::uint32_t node_id);
  const NodeEntry* find(std::uint32_t node_id) const;
  void remove(std::uint32_t node_id);

  // End of a round for the discover and sentinel sources: a node that the source did not name
  // (`named`) and that is not reachable misses a round; after `max_missed` rounds in a row it is
  // dropped. Configured nodes are never dropped. Returns the dropped ids.
  std::vector<std::uint32_t> age(const std::vector<std::uint32_t>& named, unsigned max_missed);

  std::vector<NodeEntry>& nodes() { return nodes_; }
  const std::vector<NodeEntry>& nodes() const { return nodes_; }
  bool full() const { return next_id_ >= max_ids_; }

 private:
  std::uint32_t max_ids_;
  std::uint32_t next_id_ = 0;
  std::vector<NodeEntry> nodes_;  // in order of first sight
};

}  // namespace funnel::topology
