// ReplyRouter: replies to this worker's sessions, batches to and from the other workers, and
// reads retried on another node (see reply_router.hpp).
#include "client/reply_router.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "backend/write_batch.hpp"
#include "client/client_session.hpp"

namespace funnel::client {

ReplyRouter::ReplyRouter(SessionContext& ctx, PeerWorkers& peers, unsigned workers)
    : ctx_(ctx),
      peers_(peers),
      worker_(ctx.worker_index),
      outgoing_(workers),
      returning_(workers) {}

void ReplyRouter::deliver(const backend::ReplyTarget& target, std::string_view reply,
                          const backend::ReplyTiming& timing) {
  if (target.worker == worker_) {
    // Counted here, not in the session: the reply ends the request even if its client has left.
    ctx_.metrics->requests_in_flight_down.add();
    if (auto* session = ctx_.registry.find(target.session_index, target.session_generation)) {
      session->deliver(target, reply, timing);
    } else if (target.session_index == kAskProbeSession) [[unlikely]] {
      ask_probe_answered(target.session_generation, reply);  // no session: off the hot path
    }
    return;
  }
  ReplyBatch& batch = returning_[target.worker];
  batch.replies.push_back(HandoffReply{target, static_cast<std::uint32_t>(batch.bytes.size()),
                                       static_cast<std::uint32_t>(reply.size()),
                                       timing.backend_ns});
  batch.bytes.append(reply);
  schedule_flush();
}

// A part of a streamed reply. For a client of another worker it is handed over like a reply, in
// order, and the link never pauses for it (kMore): backpressure across threads would need a
// round trip per part, and that client's output limits still bound what it holds.
backend::PartVerdict ReplyRouter::deliver_part(const backend::ReplyTarget& target,
                                               std::string_view part, backend::PartKind kind,
                                               const backend::ReplyTiming& timing,
                                               const std::weak_ptr<backend::StreamSource>& source) {
  const bool ends = kind == backend::PartKind::kLast || kind == backend::PartKind::kLost;
  if (target.worker == worker_) {
    if (ends) ctx_.metrics->requests_in_flight_down.add();
    auto* session = ctx_.registry.find(target.session_index, target.session_generation);
    if (session == nullptr) return backend::PartVerdict::kDiscard;
    return session->deliver_part(target, part, kind, timing, source);
  }
  ReplyBatch& batch = returning_[target.worker];
  batch.replies.push_back(HandoffReply{target, static_cast<std::uint32_t>(batch.bytes.size()),
                                       static_cast<std::uint32_t>(part.size()), timing.backend_ns,
                                       true, kind});
  batch.bytes.append(part);
  schedule_flush();
  return backend::PartVerdict::kMore;
}

void ReplyRouter::hand_off(unsigned owner_worker, std::uint32_t node, resp::Protocol protocol,
                           unsigned link_index, std::string_view request,
                           const backend::ReplyTarget& target, common::Millis deadline,
                           std::uint32_t db) {
  HandoffBatch& batch = outgoing_[owner_worker];
  batch.requests.push_back(
      HandoffRequest{protocol, link_index, static_cast<std::uint32_t>(batch.bytes.size()),
                     static_cast<std::uint32_t>(request.size()), target, deadline, db, node});
  batch.bytes.append(request);
  schedule_flush();
}

void ReplyRouter::request_reresolve(std::uint64_t epoch_seen) {
  peers_.request_reresolve(epoch_seen);
}

// A read failed on a replica (or could not be sent to it). It changed nothing, so it goes to
// another node instead of failing: the client never sees a replica's death.
void ReplyRouter::retry_read(std::uint32_t node, resp::Protocol protocol, std::string_view request,
                             const backend::ReplyTarget& target, common::Millis deadline,
                             std::string_view reason, bool node_failed) {
  ctx_.metrics->read_retries.add();
  if (node >= backend::ClusterLayout::kClusterNodeBase && ctx_.cluster_routes.layout) [[unlikely]]
    return retry_cluster_read(node, protocol, request, target, deadline, reason, node_failed);
  if (node_failed && ctx_.reads->mark_down(node)) {
    spdlog::warn(
        "replica {} failed a read ({}); out of this worker's read set until the next "
        "health check",
        node, reason);
    peers_.report_node_failure(node, std::string(reason));
  }
  const ReadRoutes::Choice choice =
      node_failed ? ctx_.reads->choose_retry(node) : ReadRoutes::Choice{};
  backend::ReplyTarget retry = target;
  if (!choice.error.empty()) {
    ctx_.metrics->reads_refused.add();
    std::string reply = "-" + std::string(choice.error) + "\r\n";
    deliver(target, reply, backend::ReplyTiming{0, common::precise_now_ns()});
    return;
  }
  if (choice.pool == nullptr) {
    retry.flags &= static_cast<std::uint8_t>(~backend::ReplyTarget::kRetryRead);
    ctx_.metrics->reads_on_primary.add();
    ctx_.pool->submit(protocol, target.session_index, request, retry, deadline, 0);
    return;
  }
  if (choice.node < metrics::kMaxNodes) ctx_.metrics->reads_by_node[choice.node].add();
  choice.pool->submit(protocol, target.session_index, request, retry, deadline, 0);
}

// Posted, so that every reply and hand-off of this turn of the event loop joins its batch: one
// post per destination worker per turn, never one per request.
void ReplyRouter::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(ctx_.io, [this] { flush_batches(); });
}

void ReplyRouter::flush_batches() {
  flush_posted_ = false;
  for (unsigned w = 0; w < outgoing_.size(); ++w) {
    if (!outgoing_[w].empty()) peers_.post_requests(w, std::exchange(outgoing_[w], {}));
    if (!returning_[w].empty()) peers_.post_replies(w, std::exchange(returning_[w], {}));
  }
}

void ReplyRouter::accept_requests(const HandoffBatch& batch) {
  backend::WriteBatch writes;  // idle links write once, when the whole batch is queued
  for (const HandoffRequest& request : batch.requests) {
    const std::string_view bytes =
        std::string_view(batch.bytes).substr(request.offset, request.length);
    if (request.node == backend::kPrimaryNode) {
      ctx_.pool->submit_to_link(request.protocol, request.link_index, bytes, request.target,
                                request.deadline, request.db);
    } else if (auto* replica = pool_for_node(request.node)) {
      replica->submit_to_link(request.protocol, request.link_index, bytes, request.target,
                              request.deadline, 0);
    } else {  // the replica left this worker's snapshot meanwhile
      retry_read(request.node, request.protocol, bytes, request.target, request.deadline,
                 "no longer in the topology", false);
    }
  }
}

void ReplyRouter::accept_replies(const ReplyBatch& batch) {
  const std::int64_t now = common::precise_now_ns();  // the hop between workers counts as ours
  for (const HandoffReply& reply : batch.replies) {
    const std::string_view bytes = std::string_view(batch.bytes).substr(reply.offset, reply.length);
    const backend::ReplyTiming timing{reply.backend_ns, now};
    if (reply.is_part) [[unlikely]] {
      deliver_part(reply.target, bytes, reply.part_kind, timing, {});
    } else {
      deliver(reply.target, bytes, timing);
    }
  }
}

}  // namespace funnel::client
