// ClientSession, large replies: parts of a reply streamed from its backend link as it is read
// (backend/link_stream.cpp). Parts of the oldest request's reply go straight to the output
// buffer; the output limits apply to the bytes the client has not read yet (unsent and stashed),
// never to a reply's size. Above the soft limit the link is asked to pause and resumed once the
// client drains (a link stops pausing for a client that holds it up too long: see
// backend/link_stream.cpp); above the hard limit the client is closed and the rest of its reply
// dropped.
#include <spdlog/spdlog.h>

#include "client/client_session.hpp"
#include "client/pin_lease.hpp"

namespace funnel::client {
namespace {
using backend::PartKind;
using backend::PartVerdict;
}  // namespace

PartVerdict ClientSession::deliver_part(const backend::ReplyTarget& target, std::string_view part,
                                        PartKind kind, const backend::ReplyTiming& timing,
                                        const std::weak_ptr<backend::StreamSource>& source) {
  if (closed_) return PartVerdict::kDiscard;
  if (kind == PartKind::kLost) {
    if (ctx_.near_cache != nullptr) [[unlikely]]
      near_cache_reply(target.seq, {}, false);
    stream_cut();
    return PartVerdict::kDiscard;
  }
  const bool last = kind == PartKind::kLast;
  if (last) {
    if (target.flags & backend::ReplyTarget::kWrite) write_answered(timing.now_ns);
    if (ctx_.near_cache != nullptr) [[unlikely]]
      near_cache_reply(target.seq, {}, false);  // streamed: too large to store
    // Streamed replies are never errors: counted as kOk (the tail's first byte is payload).
    record(target.command_id, static_cast<metrics::CommandClass>(target.command_class), {},
           timing.now_ns - target.started_ns, timing.backend_ns);
  }
  if (target.flags & backend::ReplyTarget::kNoReply) {  // CLIENT REPLY OFF/SKIP: drop it all
    if (last) answer(target.seq, {}, true);
    if (last && !closed_) on_backend_answered();
    return closed_ ? PartVerdict::kDiscard : PartVerdict::kMore;
  }
  std::string& out = io().out;
  const std::size_t capacity_before = out.capacity();
  const std::size_t stashed_before = replies_.stashed_bytes();
  if (capacity_before <= 15) out = ctx_.buffers.acquire();
  const ReplyQueue::Part placed = replies_.deliver_part(target.seq, part, last, out);
  track_buffer(capacity_before <= 15 ? 0 : capacity_before, out);
  if (!closed_) track_bytes(stashed_before, replies_.stashed_bytes());
  if (placed == ReplyQueue::Part::kRejected) {
    FUNNEL_INVARIANT(!"part of a reply for an unknown or complete request");
    close(metrics::CloseReason::kProtocolError);
  }
  if (closed_) return PartVerdict::kDiscard;
  if (last && rare_->subs) after_pubsub_answer();
  if (last && rare_->pin != nullptr && rare_->pin->held_bytes() != 0) [[unlikely]]
    monitor_line({});  // monitor lines held back for this reply
  const std::size_t unsent = unsent_bytes();
  if (closed_by_output_limits(unsent)) return PartVerdict::kDiscard;
  schedule_flush();
  if (last) {
    on_backend_answered();
    return PartVerdict::kMore;
  }
  if (unsent <= ctx_.config.limits.client_output_soft_bytes) return PartVerdict::kMore;
  if (source.expired()) return PartVerdict::kMore;  // handed over from another worker
  keep_paused_stream(source);
  return PartVerdict::kPause;
}

// The link failed mid-reply: the client holds part of a reply that can never be completed, so
// it cannot be answered correctly any more.
void ClientSession::stream_cut() {
  spdlog::info("client {} ({}): its backend link failed in the middle of a large reply; closing it",
               id_, peer_address());
  close(metrics::CloseReason::kProtocolError);
}

void ClientSession::keep_paused_stream(const std::weak_ptr<backend::StreamSource>& source) {
  if (rare_->paused_streams == nullptr) {
    rare().paused_streams = std::make_unique<std::vector<std::weak_ptr<backend::StreamSource>>>();
  }
  for (const auto& kept : *rare_->paused_streams) {
    if (!kept.owner_before(source) && !source.owner_before(kept)) return;  // already kept
  }
  rare_->paused_streams->push_back(source);
}

// From flush (never inside a link's reply loop): once the client's output buffer is back under
// its soft limit, or the client closed, the links paused for it read on. Stashed bytes do not
// count here: they leave only when an earlier reply completes, which may be the paused link's
// own (two large replies on two links); the hard limit still bounds them.
void ClientSession::resume_streams() {
  if (!closed_ && io_->out.size() - io_->out_sent > ctx_.config.limits.client_output_soft_bytes)
    return;
  const auto streams = std::move(rare().paused_streams);
  for (const auto& weak : *streams) {
    if (auto link = weak.lock()) link->resume_stream();
  }
}

}  // namespace funnel::client
