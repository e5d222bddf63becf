// BackendLink, large replies: a reply at the head of the pipeline that is still arriving and has
// more than kStreamAbove settled bytes is passed to its client in parts as it is read, so neither
// the link nor the client holds it whole (and a reply larger than the client's output limit
// reaches a client that reads it). Backpressure: while the client has more than its soft limit
// unsent it answers kPause, and the link stops reading, but only while no request at all waits
// behind the reply: another client's would wait for a reader it does not control, and the
// client's own pipelined ones would pile their replies up in Redis's output buffer for the link.
// As soon as one does (already queued, or submitted during the pause), the link reads on and the
// rest of the reply is buffered for its client, bounded by the client's hard limit, past which the
// client is closed and the rest dropped. A slow reader so never holds up anyone else's request,
// and Redis holds at most the rest of the one reply being read.
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
         kind != resp::ReplyKind::kPush && !(entry.target.flags & ReplyTarget::kEdited) &&
         entry.replies_seen >= entry.target.extra_replies && !entry.has_followers;
}

void BackendLink::stream_partial() {
  if (state_ != State::kReady && state_ != State::kRetiring) return;
  if (push_sink_ != nullptr || pipeline_.empty()) return;
  InFlight& entry = pipeline_.front();
  if (!entry.streaming) {
    if (!streamable(entry)) return;
    entry.streaming = true;
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
    if (pipeline_.size() > 1) return stop_pacing(entry);
    read_paused_ = true;
  }
}

// A request waits behind the reply: the link no longer pauses for this reply's client; the rest is
// buffered for it (up to its hard limit).
void BackendLink::stop_pacing(InFlight& entry) {
  entry.unpaced = true;
  resume_stream();
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
  stream_progress_ = common::coarse_now_ms();  // the pause was the client's, not the backend's
  if (state_ == State::kReady || state_ == State::kRetiring) wait_readable();
}

// tick() with a streamed reply at the head: a backend that stops sending mid-reply fails the link
// as a stalled request would. (A paused link is not stalled: its client is reading slowly and
// nobody else waits; a request submitted meanwhile ends the pause at once.)
void BackendLink::check_stream_stall(common::Millis now) {
  if (read_paused_) return;
  if (stall_check_ && now - stream_progress_ > settings_.stall_timeout_ms) {
    spdlog::warn("backend {} link {}: a large reply stopped arriving for {} ms; closing the link",
                 address(), name_, now - stream_progress_);
    fail("stalled: a reply stopped arriving for " + std::to_string(now - stream_progress_) + " ms");
  }
}

}  // namespace funnel::backend
