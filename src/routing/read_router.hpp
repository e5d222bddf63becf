// Chooses the node for one read-only request. No I/O: the caller passes the current view of the
// nodes (from the topology snapshot and the per-worker outstanding counts) and the client's
// routing state, and gets a node index or an error.
//
// Rules (issue #5): writes never come here. The read policy says which nodes may serve reads.
// Among healthy replicas the least loaded (fewest outstanding requests) wins, but a client stays
// on the replica it was given until that replica's health changes (the health epoch moves), so its
// consecutive reads never go back in time. Read-your-writes: a node serves a client's read only
// if its replication offset has reached the offset the client (or, process-wide, anyone) needs;
// otherwise the read goes to the primary. A cursor continuation (SCAN ... with a nonzero cursor)
// goes to the node that issued the cursor while it is usable. Under prefer-local-zone a replica
// in Funnel's zone beats any other, whatever their loads; the primary comes last.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "routing/read_policy.hpp"

namespace funnel::routing {

struct NodeView {
  bool primary = false;
  bool readable = false;          // replica in the read set (healthy, not lagging)
  std::int64_t offset = -1;       // last polled replication offset (-1: unknown)
  std::uint32_t outstanding = 0;  // requests in flight to it from this worker
  bool local_zone = false;        // in Funnel's own availability zone (prefer-local-zone)
};

// Per client connection; 16 bytes, lives in the session.
struct ClientReadState {
  std::int32_t sticky_node = -1;   // replica this client reads from
  std::int32_t cursor_node = -1;   // node that issued the client's last SCAN-family cursor
  std::uint32_t sticky_epoch = 0;  // health epoch when sticky_node was chosen
  std::uint32_t reserved = 0;
};

struct ReadRequest {
  ReadPolicy policy = ReadPolicy::kPrimary;
  std::uint32_t health_epoch = 0;   // bumps whenever any node's readability changes
  std::int64_t needed_offset = -1;  // read-your-writes: max of the client's and the process's
  bool cursor_continuation = false;
};

struct ReadChoice {
  int node = -1;           // index into the node list; -1 with error set
  std::string_view error;  // static text; set when node == -1
  bool fell_back = false;  // a replica policy had to use the primary
};

inline constexpr std::string_view kNoHealthyReplica =
    "ERR funnel: no healthy replica for this read (topology.read_policy = replica); every "
    "replica is down, loading or lagging beyond max_replica_lag";

// `primary` is the index of the primary in `nodes` (-1 if none is known).
ReadChoice choose_read_node(std::span<const NodeView> nodes, int primary,
                            const ReadRequest& request, ClientReadState& state);

}  // namespace funnel::routing
