// choose_read_node() (see read_router.hpp for the rules).
#include "routing/read_router.hpp"

namespace funnel::routing {
namespace {

bool caught_up(const NodeView& node, std::int64_t needed_offset) {
  return needed_offset < 0 || node.primary || node.offset >= needed_offset;
}

bool may_serve(const NodeView& node, const ReadRequest& request) {
  if (node.primary) return request.policy == ReadPolicy::kAny;
  return node.readable;
}

bool valid(std::span<const NodeView> nodes, int index) {
  return index >= 0 && static_cast<std::size_t>(index) < nodes.size();
}

// Whether `node` should serve rather than the best so far: in Funnel's zone first under
// prefer-local-zone, then the fewest requests in flight.
bool better(const NodeView& node, const NodeView& best, ReadPolicy policy) {
  if (policy == ReadPolicy::kPreferLocalZone && node.local_zone != best.local_zone) {
    return node.local_zone;
  }
  return node.outstanding < best.outstanding;
}

ReadChoice on_primary(int primary, bool fell_back) {
  if (primary < 0) return ReadChoice{-1, "ERR funnel: no primary is known right now", false};
  return ReadChoice{primary, {}, fell_back};
}

}  // namespace

ReadChoice choose_read_node(std::span<const NodeView> nodes, int primary,
                            const ReadRequest& request, ClientReadState& state) {
  if (request.policy == ReadPolicy::kPrimary) return on_primary(primary, false);

  // A cursor belongs to the node that issued it (another node's hash table may differ).
  if (request.cursor_continuation && valid(nodes, state.cursor_node)) {
    const NodeView& node = nodes[static_cast<std::size_t>(state.cursor_node)];
    if (node.primary || node.readable) return ReadChoice{state.cursor_node, {}, false};
  }

  // Stay on the sticky replica while nothing about health changed and it has what we need.
  if (valid(nodes, state.sticky_node) && state.sticky_epoch == request.health_epoch) {
    const NodeView& node = nodes[static_cast<std::size_t>(state.sticky_node)];
    if (may_serve(node, request) && caught_up(node, request.needed_offset)) {
      return ReadChoice{state.sticky_node, {}, false};
    }
  }

  int best = -1;
  bool any_healthy_replica = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeView& node = nodes[i];
    if (!node.primary && node.readable) any_healthy_replica = true;
    if (!may_serve(node, request) || !caught_up(node, request.needed_offset)) continue;
    if (best < 0 || better(node, nodes[static_cast<std::size_t>(best)], request.policy)) {
      best = static_cast<int>(i);
    }
  }
  if (best >= 0) {
    state.sticky_node = best;
    state.sticky_epoch = request.health_epoch;
    return ReadChoice{best, {}, false};
  }
  // Nothing eligible. Healthy replicas that have not caught up with the client's writes: the
  // primary has them (read-your-writes), whatever the policy. No healthy replica at all: the
  // policy decides.
  if (request.policy == ReadPolicy::kReplica && !any_healthy_replica) {
    return ReadChoice{-1, kNoHealthyReplica, false};
  }
  return on_primary(primary, true);
}

}  // namespace funnel::routing
