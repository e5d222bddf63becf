// ClientSession's keyless fan-out in cluster mode (issue #16, item 5; plan/keyless_rules.hpp):
// DBSIZE, KEYS, RANDOMKEY, FLUSHALL/FLUSHDB and FUNCTION LOAD/FLUSH/DELETE go as sent to every
// shard's primary; SCRIPT LOAD/FLUSH/EXISTS also to every replica this worker reads from; SCAN to
// the one shard its cursor names, with that shard's own cursor. The parts' replies fill the
// request's one reply slot through the same SlotFanOuts as a cross-slot split
// (session_fan_out.cpp), merged by routing/reply_merge.hpp.
//
// Order: each part goes on the client's link of its node (the pool picks it by client id), so a
// client's DBSIZE pipelined after its SET sees the SET on every shard, as on one Redis.
#include <random>

#include "client/client_session.hpp"
#include "client/fan_out.hpp"
#include "routing/shard_scan.hpp"

namespace funnel::client {
namespace {

constexpr std::string_view kInvalidCursor = "ERR invalid cursor";  // redis-server 7.0's text

routing::MergeKind keyless_merge(plan::Merge merge) {
  switch (merge) {
    case plan::Merge::kNodeConcat:
      return routing::MergeKind::kConcatArrays;
    case plan::Merge::kNodeRandom:
      return routing::MergeKind::kRandomPick;
    case plan::Merge::kNodeAgree:
      return routing::MergeKind::kAgree;
    case plan::Merge::kNodeAnd:
      return routing::MergeKind::kAndArrays;
    case plan::Merge::kNodeAllOk:
      return routing::MergeKind::kAllOk;
    case plan::Merge::kNodeScan:
      return routing::MergeKind::kScan;
    default:
      return routing::MergeKind::kSum;
  }
}

std::uint32_t random_pick() {
  static thread_local std::minstd_rand rng(std::random_device{}());
  return static_cast<std::uint32_t>(rng());
}

}  // namespace

void ClientSession::fan_out_keyless(const plan::Plan& p, const resp::Request& request,
                                    std::uint64_t seq) {
  const common::Millis deadline = common::coarse_now_ms() + ctx_.config.backend.request_timeout_ms;
  const ClusterRoutes& routes = ctx_.cluster_routes;
  if (routes.primaries.empty()) {
    return forward(request.raw(), seq, 0, 0, deadline);  // no map yet: the main node answers
  }
  if (p.fan_out.parts[0] == plan::PartTarget::kScanShard) {
    if (!scan_one_shard(request, seq, deadline)) answer_error(seq, kInvalidCursor);
    return;
  }
  std::vector<backend::BackendPool*> pools(routes.primaries);
  if (p.fan_out.parts[0] == plan::PartTarget::kEveryNode) {
    for (const auto& replicas : routes.replicas)
      pools.insert(pools.end(), replicas.begin(), replicas.end());
  }
  if (rare_->fan_outs == nullptr) rare().fan_outs = std::make_unique<SlotFanOuts>();
  SlotFanOuts::Entry& entry =
      rare_->fan_outs->add(seq,
                           routing::ReplyMerge(keyless_merge(p.fan_out.merge), {},
                                               std::vector<std::uint32_t>(pools.size(), 0)),
                           silent_);
  entry.merge.set_pick(random_pick());
  send_keyless_parts(pools, request.raw(), seq, deadline);
}

// SCAN: the shard and its cursor from the client's cursor (a cursor made under another map starts
// the walk again at shard 0); false for a cursor Redis would refuse.
bool ClientSession::scan_one_shard(const resp::Request& request, std::uint64_t seq,
                                   common::Millis deadline) {
  ClusterRoutes& routes = ctx_.cluster_routes;
  if (routes.scan_tag_of != routes.layout.get()) {
    routes.scan_tag = routing::scan_map_tag(routes.layout->map);
    routes.scan_tag_of = routes.layout.get();
  }
  const auto shards = static_cast<std::uint32_t>(routes.primaries.size());
  routing::ShardCursor at;
  if (routing::decode_scan_cursor(request.arg(1), shards, routes.scan_tag, at) ==
      routing::CursorCheck::kInvalid) {
    return false;
  }
  if (rare_->fan_outs == nullptr) rare().fan_outs = std::make_unique<SlotFanOuts>();
  SlotFanOuts::Entry& entry =
      rare_->fan_outs->add(seq, routing::ReplyMerge(routing::MergeKind::kScan, {}, {0}), silent_);
  entry.merge.set_scan(at, shards);
  std::string bytes;
  routing::scan_request_for_node(request, at.node_cursor, bytes);
  send_keyless_parts({routes.primaries[at.shard]}, bytes, seq, deadline);
  return true;
}

void ClientSession::send_keyless_parts(const std::vector<backend::BackendPool*>& pools,
                                       std::string_view bytes, std::uint64_t seq,
                                       common::Millis deadline) {
  if (closed_) return;
  for (std::size_t i = 0; i < pools.size(); ++i) {
    backend::ReplyTarget target =
        reply_target(part_seq(seq, i), 0, backend::ReplyTarget::kFanOutPart);
    target.flags &= static_cast<std::uint8_t>(~backend::ReplyTarget::kNoReply);
    ctx_.metrics->requests_in_flight_up.add();
    state_.lanes.sent(state_.forward_lane());
    pools[i]->submit(state_.protocol, id_, bytes, target, deadline, 0);
  }
}

}  // namespace funnel::client
