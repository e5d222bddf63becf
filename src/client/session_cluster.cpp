// ClientSession in cluster mode (issue #16, docs/cluster.md): reads per the read policy over the
// shard of their key. Writes and keyless commands need nothing here: forward() takes the pool of
// the request's slot (SessionContext::pool_for_slot), and a pinned link comes from the pinned
// pool of the key's shard (SessionContext::pinned_for_slot, session_pin.cpp).
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
  // A replica that fails the read (lost link, timeout, LOADING, MASTERDOWN) hands it to its
  // shard's primary (ReplyRouter::retry_cluster_read); a MOVED from it (the slot moved) is
  // followed like any other (client/redirects.cpp).
  backend::ReplyTarget target = reply_target(seq, 0, flags);
  target.flags |= backend::ReplyTarget::kRetryRead;
  ctx_.metrics->requests_in_flight_up.add();
  state_.lanes.sent(state_.forward_lane());
  pool->submit(state_.protocol, id_, request.raw(), target, deadline, 0);
}

}  // namespace funnel::client
