// BackendLink byte paths: requests appended to one output stream and written with as few
// syscalls as the socket allows; replies read in bulk, framed, and handed out in FIFO order.
// Sockets are non-blocking and driven by readiness waits, so no buffer is pinned by a pending
// operation and the output stream can grow while the kernel is busy.
#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "backend/backend_link.hpp"
#include "backend/write_batch.hpp"
#include "routing/redirect.hpp"
#include "security/script_policy.hpp"

namespace funnel::backend {
namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kCompactThreshold = 64 * 1024;
constexpr std::size_t kShrinkAbove = 1024 * 1024;
// A partial reply with this many settled bytes is streamed to its client (link_stream.cpp): a
// reply that arrives whole in one read never is.
constexpr std::size_t kStreamAbove = 64 * 1024;
}  // namespace

std::string_view BackendLink::request_bytes(const InFlight& entry) const {
  return std::string_view(out_).substr(entry.begin - out_base_, entry.end - entry.begin);
}

[[gnu::always_inline]] inline void BackendLink::append(std::string_view request,
                                                       const ReplyTarget& target,
                                                       common::Millis deadline) {
  InFlight entry;
  entry.target = target;
  entry.begin = out_base_ + out_.size();
  out_.append(request);
  entry.end = out_base_ + out_.size();
  entry.submitted = common::coarse_now_ms();
  entry.deadline = deadline;
  pipeline_.push(entry);
}

// After append(): the request leaves with the client's pass (an idle link) or a posted flush.
[[gnu::always_inline]] inline void BackendLink::dispatch(bool link_idle) {
  // A streamed reply's slow reader holds up nobody: this request would wait behind it.
  if (read_paused_) [[unlikely]]
    stop_pacing(pipeline_.front());
  if (state_ != State::kReady) return;
  if (link_idle && !flush_posted_ && !write_waiting_ && !in_write_batch_) {
    WriteBatch* batch = WriteBatch::current();
    if (batch != nullptr && batch->add(shared_from_this())) {
      in_write_batch_ = true;  // later requests of this pass join it (schedule_flush waits)
      return;
    }
  }
  schedule_flush();
}

void BackendLink::submit(std::string_view request, const ReplyTarget& target,
                         common::Millis deadline) {
  // Read coalescing: with coalescing off no read is ever offered, and this is one load and one
  // predictable branch; an offered read takes the cold path (link_coalesce.cpp).
  if (const ReadOffer* offer = OfferScope::current(); offer != nullptr) [[unlikely]]
    return submit_offered(request, target, deadline, *offer);
  const bool link_idle = pipeline_.empty();
  append(request, target, deadline);
  dispatch(link_idle);
}

// submit() with an offer (link_coalesce.cpp joins it to a leader if it can): otherwise it goes
// out as a leader later identical reads may join, noted before dispatch(), which may write it
// (and a written read is joined by none).
void BackendLink::submit_offered(std::string_view request, const ReplyTarget& target,
                                 common::Millis deadline, const ReadOffer& offer) {
  if (join_leader(request, target, offer)) return;
  const bool link_idle = pipeline_.empty();
  append(request, target, deadline);
  coalescer_->note_leader(pipeline_.end_absolute() - 1, static_cast<std::uint32_t>(request.size()));
  dispatch(link_idle);
}

// The end of a client's read pass (write_batch.hpp): what the pass queued on this idle link leaves
// now. A failed write is left to a posted flush, which meets the error again and fails the link
// from the event loop, never from inside the caller's pass.
void BackendLink::write_batched() {
  in_write_batch_ = false;
  if (state_ != State::kReady || flush_posted_ || write_waiting_ || hold_writes_) return;
  std::size_t offset = sent_ - out_base_;
  const std::string_view unsent(out_.data(), write_limit() - out_base_);
  while (offset < unsent.size()) {
    const net::IoResult wrote =
        transport_.write_some(unsent.data() + offset, unsent.size() - offset);
    if (wrote.bytes == 0) {
      if (wrote.status == net::Io::kWantWrite) {
        wait_writable();
      } else {
        schedule_flush();  // writes again from the event loop, meets the error and fails the link
      }
      break;
    }
    offset += wrote.bytes;
  }
  coalesce_batch_written(out_base_ + offset);
  sent_ = out_base_ + offset;
  mark_written();
}

void BackendLink::send_untracked(std::string_view request) {
  if (state_ != State::kReady) return;
  out_.append(request);
  schedule_flush();
}

void BackendLink::schedule_flush() {
  if (flush_posted_ || write_waiting_ || in_write_batch_) return;
  flush_posted_ = true;
  auto self = shared_from_this();
  const std::uint64_t generation = generation_;
  // Posted, not run now: every client whose bytes arrived in this round of the event loop gets
  // to append first, and the batch leaves in one write.
  asio::post(io_, [self, generation] {
    if (generation != self->generation_) return;
    self->flush_posted_ = false;
    self->flush();
  });
}

// Writes as much of `bytes` as the socket takes. Returns false after a failure (already handled).
bool BackendLink::write_pending(std::string_view bytes, std::size_t& written) {
  while (written < bytes.size()) {
    const net::IoResult wrote =
        transport_.write_some(bytes.data() + written, bytes.size() - written);
    if (wrote.bytes > 0) {
      written += wrote.bytes;
      continue;
    }
    if (wrote.status == net::Io::kWantWrite) {
      wait_writable();
      return true;
    }
    // A TLS write that must read first means renegotiation, which Funnel's sessions refuse.
    if (wrote.status == net::Io::kWantRead) {
      fail("write failed: the TLS session asked to renegotiate");
    } else {
      fail("write failed: " + net::describe(wrote));
    }
    return false;
  }
  return true;
}

void BackendLink::flush() {
  if (transport_.handshaking()) [[unlikely]]
    return continue_tls_handshake();
  if (state_ == State::kHandshaking) {
    write_pending(handshake_, handshake_sent_);
    return;
  }
  if (state_ != State::kReady && state_ != State::kRetiring) return;
  if (hold_writes_) [[unlikely]]
    return;  // our re-AUTH was refused: nothing more on this connection (link_reauth.cpp)
  std::size_t offset = sent_ - out_base_;
  const std::string_view unsent(out_.data(), write_limit() - out_base_);
  if (!write_pending(unsent, offset)) return;
  coalesce_batch_written(out_base_ + offset);
  sent_ = out_base_ + offset;
  mark_written();
}

void BackendLink::wait_writable() {
  if (write_waiting_) return;
  write_waiting_ = true;
  auto self = shared_from_this();
  const std::uint64_t generation = generation_;
  socket_.async_wait(TcpSocket::wait_write, [self, generation](boost::system::error_code ec) {
    if (generation != self->generation_) return;
    self->write_waiting_ = false;
    if (ec) return self->fail("write wait failed: " + ec.message());
    self->flush();
  });
}

void BackendLink::wait_readable() {
  if (read_waiting_) return;
  read_waiting_ = true;
  auto self = shared_from_this();
  const std::uint64_t generation = generation_;
  // OpenSSL may hold bytes it already read from the socket: read them now, not on readiness.
  if (transport_.has_pending()) [[unlikely]] {
    asio::post(io_, [self, generation] {
      if (generation != self->generation_) return;
      self->read_waiting_ = false;
      self->on_readable();
    });
    return;
  }
  socket_.async_wait(TcpSocket::wait_read, [self, generation](boost::system::error_code ec) {
    if (generation != self->generation_) return;
    self->read_waiting_ = false;
    if (ec) return self->fail("read wait failed: " + ec.message());
    self->on_readable();
  });
}

void BackendLink::on_readable() {
  if (transport_.handshaking()) [[unlikely]]
    return continue_tls_handshake();
  const std::uint64_t generation = generation_;
  for (int round = 0; round < 4; ++round) {
    if (in_.size() - in_len_ < kReadChunk / 2)
      in_.resize(std::max(in_.size() * 2, in_len_ + kReadChunk));
    const std::size_t space = in_.size() - in_len_;
    const net::IoResult read = transport_.read_some(in_.data() + in_len_, space);
    // TLS: a post-handshake message to answer before reading on; flush() writes it.
    if (read.status == net::Io::kWantWrite) [[unlikely]]
      wait_writable();
    if (read.bytes == 0) {
      if (read.waits()) break;
      fail(read.status == net::Io::kEof ? std::string("closed by the backend")
                                        : "read failed: " + net::describe(read));
      return;
    }
    const std::size_t n = read.bytes;
    in_len_ += n;
    read_ns_ = common::precise_now_ns();
    frame_replies();
    if (generation != generation_) return;  // failed or closed while handling replies
    if (n < space || read_paused_) break;
  }
  if (state_ == State::kClosed) return;
  // Requests held back by backend.max_in_flight_per_link go as their predecessors are answered.
  if (sent_ != out_base_ + out_.size() && !write_waiting_) [[unlikely]]
    schedule_flush();
  compact_output();
  if (!read_paused_) wait_readable();  // else resume_stream() waits again
}

void BackendLink::frame_replies() {
  const std::uint64_t generation = generation_;
  while (in_start_ < in_len_) {
    const std::string_view unframed(in_.data() + in_start_, in_len_ - in_start_);
    const resp::FrameStatus status = framer_.frame(unframed);
    if (status == resp::FrameStatus::kNeedMore) {
      // A large reply in progress: pass on what has arrived rather than hold it all.
      if (framer_.releasable() >= kStreamAbove) [[unlikely]]
        stream_partial();
      break;
    }
    if (status == resp::FrameStatus::kInvalid) {
      spdlog::error("backend {} link {}: unparseable reply ({}); closing the link", address(),
                    name_, framer_.error());
      fail("unparseable reply from the backend");
      return;
    }
    const std::size_t length = framer_.length();
    const resp::ReplyKind kind = framer_.kind();
    framer_.reset();
    in_start_ += length;
    on_reply(unframed.substr(0, length), kind);
    if (generation != generation_) return;
  }
  if (in_start_ == in_len_) {
    in_start_ = in_len_ = 0;
    if (in_.size() > kShrinkAbove) {
      in_.clear();
      in_.shrink_to_fit();
    }
  } else if (in_start_ > 0 && (in_start_ >= kCompactThreshold || in_len_ == in_.size())) {
    std::memmove(in_.data(), in_.data() + in_start_, in_len_ - in_start_);
    in_len_ -= in_start_;
    in_start_ = 0;
  }
}

void BackendLink::on_reply(std::string_view reply, resp::ReplyKind kind) {
  if (state_ == State::kHandshaking) return on_handshake_reply(reply);
  if (push_sink_ != nullptr && (kind == resp::ReplyKind::kPush || pipeline_.empty() ||
                                !takes_as_reauth_reply(reply, kind))) {
    return push_sink_->on_push(*this, reply, kind);
  }
  if (kind == resp::ReplyKind::kPush) return;  // out-of-band; shared links subscribe to nothing
  if (pipeline_.empty()) {
    spdlog::error("backend {} link {}: reply with no request in flight; closing the link",
                  address(), name_);
    return fail("unexpected reply");
  }
  if (!pipeline_.take_reply()) {  // MULTI's +OK or a +QUEUED inside a block
    if (kind == resp::ReplyKind::kError) [[unlikely]]
      note_block_error(reply);
    return;
  }
  InFlight& entry = pipeline_.front();
  // A streamed reply's end, or a coalescing leader's reply: one test of two flags, then cold.
  if (entry.streaming || entry.has_followers) [[unlikely]]
    return on_special_reply(entry, reply, kind);
  if (!entry.abandoned) [[likely]] {
    if (kind != resp::ReplyKind::kError || !redirected_error(entry, reply)) [[likely]] {
      const std::int64_t backend_ns = entry.written_ns > 0 ? read_ns_ - entry.written_ns : 0;
      // The request's bytes are still in out_ (compact_output keeps them until their reply).
      const std::string_view request(out_.data() + (entry.begin - out_base_),
                                     entry.end - entry.begin);
      sink_.deliver(entry.target, reply, ReplyTiming{backend_ns, read_ns_, request});
    }
  } else if (entry.reauth) [[unlikely]] {
    on_reauth_reply(reply, kind);  // our re-AUTH's reply; any other abandoned reply: dropped
  }
  pipeline_.pop();
  if (state_ == State::kRetiring && pipeline_.empty()) finish_retired();
}

// on_reply's cold half: the last part of a streamed reply, or a leader's reply that its
// coalesced followers get a copy of.
void BackendLink::on_special_reply(InFlight& entry, std::string_view reply, resp::ReplyKind kind) {
  const bool has_followers = entry.has_followers;  // `entry` may move while the sink runs
  const std::int64_t written_ns = entry.written_ns;
  if (entry.streaming) {
    end_stream(entry, reply);
  } else if (!entry.abandoned &&
             (kind != resp::ReplyKind::kError || !redirected_error(entry, reply))) {
    const std::int64_t backend_ns = written_ns > 0 ? read_ns_ - written_ns : 0;
    const std::string_view request(out_.data() + (entry.begin - out_base_),
                                   entry.end - entry.begin);
    sink_.deliver(entry.target, reply, ReplyTiming{backend_ns, read_ns_, request});
  }
  // A redirected leader's followers get its reply as it came (coalescing is off in cluster mode).
  if (has_followers)
    answer_followers(pipeline_.first_absolute(), reply,
                     ReplyTiming{written_ns > 0 ? read_ns_ - written_ns : 0, read_ns_});
  pipeline_.pop();
  if (state_ == State::kRetiring && pipeline_.empty()) finish_retired();
}

// Error replies that mean "not here" rather than the client's error: true if the request went
// elsewhere (the caller delivers nothing). Kept out of on_reply's inlined fast path.
bool BackendLink::redirected_error(const InFlight& entry, std::string_view reply) {
  // READONLY means "this node is a replica" only when Redis itself refused the request before
  // running it: a plain command. A script or function may have written and then returned a
  // READONLY error of its own, and a MULTI block may hold one: those pass through as sent.
  if (resp::error_code_is(reply, "READONLY") && !(entry.target.flags & ReplyTarget::kRetried) &&
      entry.target.extra_replies == 0 && !security::runs_script(entry.target.command_id)) {
    observer_.on_link_readonly(*this, request_bytes(entry), entry.target, entry.deadline, reply);
    return true;
  }
  // A MULTI block whose queued command was answered MOVED or ASK, and EXEC then EXECABORT:
  // Redis ran nothing, so the whole block may follow that redirect (to a node the map lists;
  // after an ASK, ASKING then the block: Redis keeps ASKING's flag until EXEC inside MULTI).
  if (entry.target.extra_replies != 0 && !block_moved_.empty() &&
      block_moved_begin_ == entry.begin) {
    const std::string moved = std::exchange(block_moved_, {});
    if (resp::error_code_is(reply, "EXECABORT") &&
        observer_.on_link_redirect(*this, request_bytes(entry), entry.target, entry.deadline,
                                   moved)) {
      return true;
    }
  }
  // A script can return any of these errors of its own after it has written (it may forge
  // `-MOVED 1 evil:6379`): the observer follows one only when a fresh slot map proves the script
  // did not run (routing/unsafe_redirect.hpp). A MULTI block's reply is EXEC's: never followed.
  if (routing::may_be_redirect(reply) && entry.target.extra_replies == 0 &&
      observer_.on_link_redirect(*this, request_bytes(entry), entry.target, entry.deadline,
                                 reply)) {
    return true;
  }
  if (!(entry.target.flags & ReplyTarget::kRetryRead)) return false;
  if (resp::error_code_is(reply, "LOADING") || resp::error_code_is(reply, "MASTERDOWN")) {
    // The replica cannot serve reads right now (loading its dataset, or its primary is gone
    // with replica-serve-stale-data no): not the client's error.
    return retried_elsewhere(entry, reply.substr(1, reply.size() - 3));
  }
  if (resp::error_code_is(reply, "NOSCRIPT")) {
    // EVALSHA_RO of a script loaded on the primary only (Redis does not replicate SCRIPT LOAD):
    // the primary has it.
    return retried_elsewhere(entry, "NOSCRIPT", false);
  }
  return false;
}

// An error among a block's inner replies: the first MOVED or ASK is kept for EXEC's reply. These
// are Redis's own queue-time replies (a queued script answers +QUEUED), never a script's.
void BackendLink::note_block_error(std::string_view reply) {
  const InFlight& entry = pipeline_.front();
  if (block_moved_begin_ == entry.begin && !block_moved_.empty()) return;
  if (!reply.starts_with("-MOVED ") && !reply.starts_with("-ASK ")) return;
  block_moved_.assign(reply);
  block_moved_begin_ = entry.begin;
}

// Drops the prefix of the output stream whose replies have all arrived.
void BackendLink::compact_output() {
  const std::uint64_t acked = pipeline_.empty() ? sent_ : pipeline_.front().begin;
  const std::size_t done = static_cast<std::size_t>(acked - out_base_);
  if (done == 0) return;
  if (done == out_.size()) {
    out_.clear();
    if (out_.capacity() > kShrinkAbove) out_.shrink_to_fit();
  } else if (done >= kCompactThreshold && done * 2 >= out_.size()) {
    out_.erase(0, done);
  } else {
    return;
  }
  out_base_ = acked;
}

// backend.max_in_flight_per_link bounds what Redis holds for this link: the requests past the
// bound stay in out_ (in order, with their deadlines; a timeout still answers them) instead of
// filling Redis's query buffer under a spike. Subscriber and tracking links (a push sink) are
// exempt: their pushes are not answers. Counted once per write that holds requests back.
std::uint64_t BackendLink::write_limit() {
  const std::uint64_t end = out_base_ + out_.size();
  const common::Millis bound = settings_.max_in_flight_per_link;
  if (bound <= 0 || push_sink_ != nullptr) [[likely]]
    return end;
  const std::uint64_t limit = pipeline_.write_limit(end, static_cast<std::size_t>(bound));
  if (limit != end) {
    settings_.in_flight_waits->fetch_add(1, std::memory_order_relaxed);
    pipeline_.note_held(static_cast<std::size_t>(bound));
  }
  return limit;
}

// Stamps what was just written; a request the bound held back reports its wait (from when its
// client's request was read to now) to funnel_backend_in_flight_wait_seconds.
void BackendLink::mark_written() {
  const std::int64_t now_ns = common::precise_now_ns();
  pipeline_.mark_written(sent_, now_ns, [&](const InFlight& entry) {
    settings_.in_flight_wait->observe(now_ns - entry.target.started_ns);
  });
}

}  // namespace funnel::backend
