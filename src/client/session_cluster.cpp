// ClientSession in cluster mode (issue #16, docs/cluster.md): reads per the read policy over the
// shard of their key, and pinned links (WATCH, blocking commands) only where the pinned pool's
// node serves the key: the primary serving slot 0. Writes and keyless commands need nothing
// here: forward() takes the pool of the request's slot (SessionContext::pool_for_slot).
#include "client/client_session.hpp"

namespace funnel::client {

void ClientSession::forward_cluster_read(const resp::Request& request, std::uint64_t seq,
                                         std::uint8_t flags, common::Millis deadline) {
  bool on_replica = false;
  backend::BackendPool* pool = ctx_.cluster_routes.read_pool(
      ctx_.request_slot, ctx_.reads->policy(), ctx_.pool_for_slot(ctx_.request_slot), on_replica);
  if (pool == nullptr) {
    ctx_.metrics->reads_refused.add();
    return answer_error(seq,
                        "ERR funnel: no healthy replica of the shard serving this key "
                        "(topology.read_policy = replica); use prefer-replica to read from the "
                        "primary meanwhile");
  }
  if (!on_replica) {
    ctx_.metrics->reads_on_primary.add();
    return forward(request.raw(), seq, 0, flags, deadline);
  }
  // A replica's failure reaches the client as an error (no retry elsewhere yet); a MOVED from
  // it (the slot moved) is followed like any other (client/redirects.cpp).
  backend::ReplyTarget target = reply_target(seq, 0, flags);
  ctx_.metrics->requests_in_flight_up.add();
  state_.lanes.sent(state_.forward_lane());
  pool->submit(state_.protocol, id_, request.raw(), target, deadline, 0);
}

bool ClientSession::refuse_cluster_pin(const resp::Request& request) {
  if (ctx_.request_slot == kNoSlot || ctx_.pool_for_slot(ctx_.request_slot) == ctx_.pool) {
    return false;  // the pinned links' node (the main one) serves it
  }
  std::string text = "ERR funnel: ";
  text.append(request.arg(0));
  text.append(
      " on this key needs a dedicated link to the key's shard, which Funnel does not open in "
      "cluster mode yet: only keys of the shard serving slot 0 can be watched or blocked on "
      "(docs/cluster.md)");
  answer_error(open_slot(), text);
  return true;
}

}  // namespace funnel::client
