// Whether a new TopologyView differs from the last reported one in anything routing cares about
// (the listener contract), and the primary-identity rule behind TopologyView::failovers. No I/O.
#pragma once

#include "topology/topology_view.hpp"

namespace funnel::topology {

// True when the primary (index or identity), the node set, a node's address/endpoints, role,
// reachable or readable flag, or the failover count differ. Offsets, lag, last_io_seconds_ago,
// reasons, versions and the error text alone do not count: offsets reach workers through the
// OffsetBoard, and the rest is read on demand through view().
bool routing_changed(const TopologyView& before, const TopologyView& after);

// The primary's identity: its node id and resolved endpoints. A changed identity after the first
// primary was known is a failover (a new node, or the same configured name now resolving
// elsewhere, as an ElastiCache primary endpoint does). Losing the primary (none) is not one, and
// nor is getting the same one back.
bool same_primary(const NodeStatus* a, const NodeStatus* b);

}  // namespace funnel::topology
