// ClientSession's cross-slot split and merge (cluster mode, plan::PartTarget::kEachSlot): the
// request becomes one part per slot (routing/slot_split.hpp), each sent on the client's link of
// its slot's shard (SessionContext::pool_for_slot), and the parts' replies are merged into the
// one reply slot the request holds (routing/reply_merge.hpp).
//
// Order: a client's requests for one pool always take the same link (the pool picks it by the
// client's id), and parts are submitted in request order. So if a client pipelines MSET a b then
// MGET a b, on each link the MSET's part for a slot is written before the MGET's part for that
// slot, and Redis runs them in that order: the MGET sees the MSET's values, as on one Redis.
#include "client/client_session.hpp"
#include "client/fan_out.hpp"
#include "common/invariant.hpp"
#include "routing/slot_split.hpp"

namespace funnel::client {
namespace {

routing::MergeKind merge_kind(plan::Merge merge) {
  switch (merge) {
    case plan::Merge::kSlotArray:
      return routing::MergeKind::kKeyOrderArray;
    case plan::Merge::kSlotAllOk:
      return routing::MergeKind::kAllOk;
    default:
      return routing::MergeKind::kSum;
  }
}

}  // namespace

void ClientSession::fan_out_by_slot(const plan::Plan& p, const resp::Request& request,
                                    std::uint64_t seq) {
  const common::Millis deadline = common::coarse_now_ms() + ctx_.config.backend.request_timeout_ms;
  routing::SlotSplit split;
  const std::size_t step = p.fan_out.merge == plan::Merge::kSlotAllOk ? 2 : 1;
  if (!routing::split_by_slot(request, step, split)) {
    return forward(request.raw(), seq, 0, 0, deadline);  // one slot after all: as it is
  }
  std::vector<std::uint32_t> keys(split.parts.size());
  for (std::size_t i = 0; i < split.parts.size(); ++i) keys[i] = split.parts[i].keys;
  if (rare_->fan_outs == nullptr) rare().fan_outs = std::make_unique<SlotFanOuts>();
  SlotFanOuts::Entry& entry = rare_->fan_outs->add(
      seq, routing::ReplyMerge(merge_kind(p.fan_out.merge), std::move(split.key_part), keys),
      silent_);
  track_bytes(0, entry.merge.held_bytes());
  if (closed_) return;
  for (std::size_t i = 0; i < split.parts.size(); ++i) {
    backend::ReplyTarget target =
        reply_target(part_seq(seq, i), 0, backend::ReplyTarget::kFanOutPart);
    target.flags &= static_cast<std::uint8_t>(~backend::ReplyTarget::kNoReply);
    ctx_.metrics->requests_in_flight_up.add();
    state_.lanes.sent(state_.forward_lane());
    ctx_.pool_for_slot(split.parts[i].slot)
        ->submit(state_.protocol, id_, split.part_bytes(i), target, deadline, state_.db);
  }
}

// One part's reply (or the error standing in for it). The merged reply takes the request's slot
// once every part has answered.
void ClientSession::deliver_fan_out_part(const backend::ReplyTarget& target,
                                         std::string_view reply) {
  const std::uint64_t seq = seq_of_part(target.seq);
  SlotFanOuts::Entry* entry = rare_->fan_outs != nullptr ? rare_->fan_outs->find(seq) : nullptr;
  if (entry == nullptr) {
    FUNNEL_INVARIANT(!"a part's reply for no cross-slot request");
    return;
  }
  const std::size_t before = entry->merge.held_bytes();
  const bool complete = entry->merge.add(index_of_part(target.seq), reply);
  track_bytes(before, entry->merge.held_bytes());
  if (!complete || closed_) return;
  std::string merged;
  entry->merge.finish(merged);
  const bool silent = entry->silent;
  track_bytes(entry->merge.held_bytes(), 0);
  rare_->fan_outs->remove(seq);
  answer(seq, silent ? std::string_view() : std::string_view(merged), false);
}

}  // namespace funnel::client
