// BackendLink, large replies: a reply at the head of the pipeline that is still arriving and has
// more than kStreamAbove settled bytes is passed to its client in parts as it is read, so neither
// the link nor the client holds it whole (and a reply larger than the client's output limit
// reaches a client that reads it). Backpressure: while the client has more than its soft limit
// unsent it answers kPause and the link stops reading (its later replies are behind this one
// anyway). A slow reader may hold up the link's other requests that way for stream_stall_ms in
// total over its consecutive streamed replies (or keep it paused for stall_timeout_ms when
// nobody else waits); after that the link no
// longer pauses for it: the rest of its reply is buffered for it, bounded by its hard limit, past
// which the client is closed and the rest dropped.
// Never streamed (they are small, and need the whole reply): errors (READONLY and other
// redirects), INFO with Funnel's section, inner replies of a block, pushes, handshake replies.
#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "backend/backend_link.hpp"

namespace funnel::backend {

bool BackendLink::streamable(const InFlight& entry) const {
  resp::ReplyKind kind = resp::ReplyKind::kNull;
  return framer_.partial_kind(kind) && kind != resp::ReplyKind::kError &&
         kind != resp::ReplyKind::kPush && !(entry.target.flags & ReplyTarget::kAppendFunnelInfo) &&
         entry.replies_seen >= entry.target.extra_replies;
}

void BackendLink::stream_partial() {
  if (state_ != State::kReady && state_ != State::kRetiring) return;
  if (push_sink_ != nullptr || pipeline_.empty()) return;
  InFlight& entry = pipeline_.front();
  if (!entry.streaming) {
    if (!streamable(entry)) return;
    entry.streaming = true;
    start_stream_pacing(entry);
  }
  const std::size_t n = framer_.releasable();
  const std::string_view part(in_.data() + in_start_, n);
  in_start_ += n;
  framer_.release_settled(n);
  stream_progress_ = common::coarse_now_ms();
  if (entry.abandoned || entry.discarding) return;
  const std::int64_t backend_ns = entry.written_ns > 0 ? read_ns_ - entry.written_ns : 0;
  const PartVerdict verdict = sink_.deliver_part(
      entry.target, part, PartKind::kMore, ReplyTiming{backend_ns, read_ns_}, weak_from_this());
  if (verdict == PartVerdict::kDiscard) {
    entry.discarding = true;
  } else if (verdict == PartVerdict::kPause && !read_paused_ && !entry.unpaced) {
    read_paused_ = true;
    paused_since_ = common::coarse_now_ms();
  }
}

// The hold-up a client caused is counted across its streamed replies in a row (a client that
// pipelines many large GETs and reads none gets its budget once, not once per reply).
void BackendLink::start_stream_pacing(InFlight& entry) {
  const ReplyTarget& t = entry.target;
  const StreamClient client{t.session_index, t.session_generation, t.worker};
  if (!(client == stream_client_)) {
    stream_client_ = client;
    blocked_ms_ = 0;
    stream_client_unpaced_ = false;
  }
  entry.unpaced = stream_client_unpaced_;
  last_stall_check_ = common::coarse_now_ms();
}

// The last bytes of a streamed reply arrived (on_reply): they end the stream. A client that left
// still gets its kLast, so the worker counts the request as answered.
void BackendLink::end_stream(InFlight& entry, std::string_view tail) {
  // The whole reply is with its client now: the link's later replies are for others.
  read_paused_ = false;
  if (entry.abandoned) return;
  const std::int64_t backend_ns = entry.written_ns > 0 ? read_ns_ - entry.written_ns : 0;
  sink_.deliver_part(entry.target, entry.discarding ? std::string_view() : tail, PartKind::kLast,
                     ReplyTiming{backend_ns, read_ns_}, {});
}

// The link failed mid-reply: the client, who has part of it, must be closed (the sink does that
// on kLost); a client that left gets it too, so the request is counted as answered.
void BackendLink::abort_stream(InFlight& entry) {
  if (entry.abandoned) return;
  entry.discarding = true;
  sink_.deliver_part(entry.target, {}, PartKind::kLost, error_timing(), {});
}

void BackendLink::resume_stream() {
  if (!read_paused_) return;
  read_paused_ = false;
  if (state_ == State::kReady || state_ == State::kRetiring) wait_readable();
}

// tick() with a streamed reply at the head: a slow reader that held up the link's other requests
// too long is no longer paced (its reply is buffered for it, up to its hard limit); a backend
// that stops sending mid-reply fails the link as a stalled request would.
void BackendLink::check_stream_stall(common::Millis now) {
  InFlight& entry = pipeline_.front();
  const common::Millis elapsed = now - std::exchange(last_stall_check_, now);
  if (read_paused_) {
    if (pipeline_.size() > 1) blocked_ms_ += std::min(elapsed, now - paused_since_);
    if (blocked_ms_ <= settings_.stream_stall_ms &&
        now - paused_since_ <= settings_.stall_timeout_ms) {
      return;
    }
    spdlog::warn(
        "backend {} link {}: a client reading a large reply slowly held up the link for {} ms "
        "(limits.client_output_stall_ms); the rest of its reply is buffered for it, up to "
        "limits.client_output_hard_bytes",
        address(), name_, std::max(blocked_ms_, now - paused_since_));
    entry.unpaced = stream_client_unpaced_ = true;
    resume_stream();
    return;
  }
  if (stall_check_ && now - stream_progress_ > settings_.stall_timeout_ms) {
    spdlog::warn("backend {} link {}: a large reply stopped arriving for {} ms; closing the link",
                 address(), name_, now - stream_progress_);
    fail("stalled: a reply stopped arriving for " + std::to_string(now - stream_progress_) + " ms");
  }
}

}  // namespace funnel::backend
