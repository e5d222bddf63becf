// ClientSession while a cluster shard's primary is down (routing/shard_hold.hpp,
// docs/cluster.md#failover): a request for that shard's slots is planned as a failover hold and
// waits unconsumed, like one at the lane barrier, so the client's later requests wait behind it
// in its own order and its bytes stay counted in the buffer budgets. The worker's tick and each
// new snapshot plan it again: once this worker's layout lists another primary for the slot (the
// promoted replica) or the old one's links came back, it goes; past its hold deadline it fails,
// never sent. Requests for the other shards are not held; a split or fan-out that reaches a held
// shard waits whole (plan/shard_reach.hpp). The signals come from the links
// (ReplyRouter::primary_link, below) and the slot map (server/control_cluster.cpp).
#include <spdlog/spdlog.h>

#include "client/client_session.hpp"
#include "client/reply_router.hpp"
#include "plan/shard_reach.hpp"
#include "routing/key_slot.hpp"
#include "routing/shard_hold.hpp"
#include "routing/shard_scan.hpp"
#include "routing/shard_standby.hpp"

namespace funnel::client {
namespace {

std::uint32_t node_index(std::uint32_t node_id) {
  return node_id - backend::ClusterLayout::kClusterNodeBase;
}

}  // namespace

// Where the request goes (plan/shard_reach.hpp): its first key's shard; EXEC, the shard of its
// block's keys; a keyless command, the main node (slot 0's primary); a split by slot, every key's
// shard; a keyless fan-out, every primary; SCAN, its cursor's shard. It waits whole if any of
// them is held, before any part is sent. A cluster without a replica has nothing to wait for
// (routing::shard_may_fail_over).
bool ClientSession::shard_held(const command::Classification& cls,
                               const resp::Request& request) const {
  const ClusterRoutes& routes = ctx_.cluster_routes;
  if (ctx_.slot_map == nullptr || !routes.layout) return false;
  const routing::SlotMap& map = *ctx_.slot_map;
  const plan::ShardReach reach = plan::shard_reach(cls, request);
  plan::ShardFacts facts;
  facts.shards = static_cast<std::uint16_t>(routes.layout->shards.size());
  std::uint16_t slot = ctx_.request_slot;
  if (cls.local == command::LocalCommand::kExec && state_.tx_has_slot) slot = state_.tx_slot;
  if (slot == kNoSlot) slot = 0;
  facts.one_node = map.shard_index(slot);
  if (reach.reach == plan::Reach::kCursorShard) facts.cursor_shard = scan_shard(request);
  const common::Millis now = common::coarse_now_ms();
  return plan::reach_held(
      reach, request, facts,
      [&map](std::string_view key) { return map.shard_index(routing::key_slot(key)); },
      [&](std::uint16_t shard) {
        return ctx_.shard_hold_gate->holds(node_index(routes.layout->shards[shard].primary.node_id),
                                           now) &&
               routing::shard_may_fail_over(map.shards(), shard);
      });
}

// The shard a SCAN's cursor names under this worker's layout (ShardFacts::kNone for a cursor
// Redis would refuse: answered at once, never held).
std::uint16_t ClientSession::scan_shard(const resp::Request& request) const {
  const ClusterRoutes& routes = ctx_.cluster_routes;
  if (request.argc() < 2) return plan::ShardFacts::kNone;
  const std::uint32_t tag = routes.scan_tag_of == routes.layout.get()
                                ? routes.scan_tag
                                : routing::scan_map_tag(routes.layout->map);
  routing::ShardCursor at;
  const auto shards = static_cast<std::uint32_t>(routes.primaries.size());
  if (routing::decode_scan_cursor(request.arg(1), shards, tag, at) ==
      routing::CursorCheck::kInvalid) {
    return plan::ShardFacts::kNone;
  }
  return static_cast<std::uint16_t>(at.shard);
}

bool ClientSession::hold_for_shard() {
  const common::Millis now = common::coarse_now_ms();
  routing::ShardHoldGate& gate = *ctx_.shard_hold_gate;
  if (rare_->failover_deadline == 0) {  // (reset when new requests are read)
    const routing::HoldSettings settings{gate.hold_ms(), ctx_.config.backend.request_timeout_ms};
    rare().failover_deadline = routing::hold_deadline(settings, now);
    gate.count_held();
  }
  // Read together with a request whose hold already ran out: it fails now, never sent.
  if (now >= rare_->failover_deadline) return fail_after_shard_hold();
  if (!shard_held_) {
    shard_held_ = true;
    gate.add_held(1);
    ctx_.shard_waiters.push_back(handle_);
  }
  return hold_at_lane_barrier();
}

void ClientSession::check_shard_hold(common::Millis now) {
  if (!shard_held_) return;
  shard_held_ = false;
  ctx_.shard_hold_gate->add_held(-1);
  if (now >= rare_->failover_deadline) shard_expired_ = true;  // handle_request answers the error
  resume_held();  // planned again: held again (same deadline) while its shard's primary is down
}

bool ClientSession::fail_after_shard_hold() {
  shard_expired_ = false;
  ctx_.shard_hold_gate->add_expired();
  if (state_.mode == plan::Mode::kQueuing) end_transaction();  // its EXEC failed: discarded
  answer_error(open_slot(), routing::kShardFailoverTimedOut);
  return true;
}

void check_shard_waiters(SessionContext& ctx, common::Millis now) {
  ctx.registry.take_each(ctx.shard_waiters,
                         [now](ClientSession& session) { session.check_shard_hold(now); });
}

// A link of the node at `address` came up or went down: if the layout has it as a shard's
// primary, and a replica may be promoted, its requests wait from now on (or go again).
void ReplyRouter::primary_link(std::string_view address, bool up) {
  const ClusterRoutes& routes = ctx_.cluster_routes;
  if (ctx_.slot_map == nullptr || !routes.layout) return;
  const std::vector<routing::Shard>& map = routes.layout->map.shards();
  for (std::size_t i = 0; i < routes.layout->shards.size() && i < map.size(); ++i) {
    const backend::ClusterShard& shard = routes.layout->shards[i];
    if (shard.primary.links == nullptr || shard.primary.links->address != address) continue;
    const std::uint32_t index = node_index(shard.primary.node_id);
    if (up) {
      ctx_.shard_hold_gate->node_up(index);
    } else if (routing::shard_may_fail_over(map, i)) {
      const common::Millis now = common::coarse_now_ms();
      if (ctx_.shard_hold_gate->hold_ms() > 0 && !ctx_.shard_hold_gate->holds(index, now)) {
        spdlog::info(
            "cluster: shard primary {} down: its requests wait up to {} ms for a "
            "replica's promotion",
            address, ctx_.shard_hold_gate->hold_ms());
      }
      ctx_.shard_hold_gate->node_down(index, now);
    }
    return;
  }
}

}  // namespace funnel::client
