// routing_changed and same_primary: see view_change.hpp.
#include "topology/view_change.hpp"

namespace funnel::topology {
namespace {
bool same_routing(const NodeStatus& a, const NodeStatus& b) {
  return a.node_id == b.node_id && a.address == b.address && a.endpoints == b.endpoints &&
         a.role == b.role && a.reachable == b.reachable && a.readable == b.readable;
}
}  // namespace

bool same_primary(const NodeStatus* a, const NodeStatus* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return a->node_id == b->node_id && a->endpoints == b->endpoints;
}

bool routing_changed(const TopologyView& before, const TopologyView& after) {
  if (before.primary != after.primary || before.failovers != after.failovers) return true;
  if (!same_primary(before.primary_node(), after.primary_node())) return true;
  if (before.nodes.size() != after.nodes.size()) return true;
  for (std::size_t i = 0; i < before.nodes.size(); ++i) {
    if (!same_routing(before.nodes[i], after.nodes[i])) return true;
  }
  return false;
}

}  // namespace funnel::topology
