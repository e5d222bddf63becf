// ClientSession's reply side: ordering replies (ReplyQueue), counting them (metrics), writing
// them in batches, backpressure, and buffer accounting against the process budget.
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "client/client_session.hpp"
#include "client/pin_lease.hpp"

namespace funnel::client {
namespace {
using metrics::ProcessCounters;
constexpr std::size_t kCompactAbove = 64 * 1024;

using resp::error_reply;
}  // namespace

// Built in the worker's reused buffer: every node-redis 6 connection gets one error (CLIENT
// MAINT_NOTIFICATIONS), which was an allocation per connection.
void ClientSession::answer_error(std::uint64_t seq, std::string_view message) {
  std::string& reply = ctx_.error_reply;
  reply.clear();
  resp::ReplyWriter(reply, resp::Protocol::kResp2).error(message);
  answer_local(seq, reply);
}

// A reply Funnel produced itself: counted under the request's command, class "local".
void ClientSession::answer_local(std::uint64_t seq, std::string_view reply) {
  const command::CommandSpec* spec = ctx_.classification.spec;
  const std::int64_t elapsed = common::precise_now_ns() - ctx_.batch_ns;
  record(spec != nullptr ? spec->id : 0, metrics::CommandClass::kLocal, reply, elapsed, 0);
  answer(seq, silent_ ? std::string_view() : reply);
}

void ClientSession::record(std::uint16_t command_id, metrics::CommandClass command_class,
                           std::string_view reply, std::int64_t total_ns, std::int64_t backend_ns,
                           std::string_view request) {
  // FUNNEL SLOWLOG: a comparison for every request, the rest only for a slow one (`request` is
  // empty where Funnel answered itself: not logged).
  if (total_ns >= ctx_.slowlog_above_ns && !request.empty()) [[unlikely]] {
    log_if_slow(total_ns, request);
  }
  if (!ctx_.per_request_metrics) return;
  metrics::Outcome outcome = metrics::Outcome::kOk;
  if (!reply.empty() && (reply[0] == '-' || reply[0] == '!')) {
    outcome = reply.starts_with("-ERR funnel:") ? metrics::Outcome::kProxyError
                                                : metrics::Outcome::kError;
  }
  auto& m = *ctx_.metrics;
  m.commands[command_id][static_cast<std::size_t>(outcome)].add();
  const std::size_t bucket = metrics::Histogram::bucket_for(total_ns);
  // One observation serves both the per-class and the per-command family (command_latency.hpp).
  m.command_latency[ctx_.latency_slots[command_id & 1023]][static_cast<std::size_t>(command_class)]
      .observe_in(bucket, total_ns);
  m.proxy_latency[static_cast<std::size_t>(command_class)].observe(total_ns - backend_ns);
}

void ClientSession::deliver(const backend::ReplyTarget& target, std::string_view reply,
                            const backend::ReplyTiming& timing) {
  if (closed_) return;
  if (target.flags & backend::ReplyTarget::kWrite) write_answered(timing.now_ns);
  if (ctx_.near_cache != nullptr) [[unlikely]]
    near_cache_reply(target.seq, reply, true);
  record(target.command_id, static_cast<metrics::CommandClass>(target.command_class), reply,
         timing.now_ns - target.started_ns, timing.backend_ns, timing.request);
  constexpr std::uint8_t kEditOrDrop =
      backend::ReplyTarget::kNoReply | backend::ReplyTarget::kEdited;
  if (target.flags & kEditOrDrop) [[unlikely]] {
    deliver_edited(target, reply);
  } else {
    answer(target.seq, reply, false);
  }
  if (!write_last_reply_now()) schedule_flush();
  on_backend_answered();
}

void ClientSession::deliver_edited(const backend::ReplyTarget& target, std::string_view reply) {
  if (target.flags & backend::ReplyTarget::kFanOutPart) {
    deliver_fan_out_part(target, reply);
  } else if (target.flags & backend::ReplyTarget::kNoReply) {
    answer(target.seq, {}, false);  // CLIENT REPLY OFF/SKIP: the slot closes without bytes
  } else if (target.flags & backend::ReplyTarget::kAppendFunnelInfo) {
    answer(target.seq, transform_info(reply), false);
  } else if (!answer_corrected_count(target.seq, reply)) {  // PUBLISH, NUMSUB: answered there
    // MONITOR's own reply: an error (refused, link down) ends the lease before the next request.
    if (state_.monitoring && !reply.empty() && reply[0] == '-') state_.pin_done = true;
    answer(target.seq, reply, false);
  }
}

// A backend reply that leaves the client with nothing else pending is written at once: no more
// replies for it can come in this round, so posting a flush would only add a handler per request.
// Only the plain case: anything that needs after_flush's work (closing after QUIT, resuming a
// paused reader, draining) or a partial write goes through the posted flush, which also keeps
// this from re-entering request parsing inside a link's reply loop.
// Returns true when nothing is left for a flush to do.
bool ClientSession::write_last_reply_now() {
  if (closed_) return true;
  if (!replies_.idle() || flush_posted_ || write_waiting_ || reading_paused_ ||
      close_after_seq_ != UINT64_MAX || ctx_.draining || io_->out_sent >= io_->out.size()) {
    return false;
  }
  SessionIo& io = this->io();  // (out holds bytes: the session's own block)
  const std::size_t n =
      write_transport(io.out.data() + io.out_sent, io.out.size() - io.out_sent).bytes;
  if (n == 0) return false;  // the posted flush sees the error (or the full socket) and handles it
  io.out_sent += n;
  ctx_.metrics->bytes_sent.add(n);
  if (io.out_sent < io.out.size()) return false;  // the posted flush writes the rest
  io.out.clear();
  io.out_sent = 0;
  release_buffers_if_idle();
  return true;
}

void ClientSession::answer(std::uint64_t seq, std::string_view reply, bool flush) {
  if (closed_) return;
  std::string& out = io().out;
  const std::size_t capacity_before = out.capacity();
  const std::size_t stashed_before = replies_.stashed_bytes();
  if (capacity_before <= 15) out = ctx_.buffers.acquire();
  if (!replies_.deliver(seq, reply, out)) {
    FUNNEL_INVARIANT(!"reply delivered twice or for an unknown request");
    return;
  }
  track_buffer(capacity_before <= 15 ? 0 : capacity_before, out);
  if (replies_.stashed_bytes() != stashed_before && !closed_) [[unlikely]] {
    track_bytes(stashed_before, replies_.stashed_bytes());  // an early reply was stashed
  }
  if (closed_) return;
  if (rare_->subs) after_pubsub_answer();
  // Under both limits (every reply but a slow reader's): two comparisons, no call.
  const std::size_t unsent = unsent_bytes();
  const auto& limits = ctx_.config.limits;
  if (unsent > limits.client_output_soft_bytes || unsent > limits.client_output_hard_bytes)
      [[unlikely]] {
    if (closed_by_output_limits(unsent)) return;
  }
  if (flush) schedule_flush();
}

// The output limits on what the client has not read (unsent and stashed replies, whatever their
// size): past the hard one it is closed (true), past the soft one Funnel stops reading its
// requests until it drains (after_flush).
bool ClientSession::closed_by_output_limits(std::size_t unsent) {
  if (unsent > ctx_.config.limits.client_output_hard_bytes) {
    spdlog::warn(
        "client {} ({}) not reading its replies: {} bytes pending exceeds "
        "limits.client_output_hard_bytes; closing it",
        id_, peer_address(), unsent);
    ProcessCounters::bump(ctx_.facts.counters->clients_closed_output_limit);
    close(metrics::CloseReason::kOutputLimit);
    return true;
  }
  if (unsent > ctx_.config.limits.client_output_soft_bytes && !reading_paused_) {
    reading_paused_ = true;
    ctx_.metrics->pressure(metrics::Backpressure::kOutputSoftLimit);
  }
  return false;
}

void ClientSession::track_buffer(std::size_t before_capacity, const std::string& buffer) {
  // Short strings live inside the object: they hold no heap memory.
  track_bytes(before_capacity <= 15 ? 0 : before_capacity,
              buffer.capacity() <= 15 ? 0 : buffer.capacity());
}

// Accounts a buffer's growth against the process-wide budget; refuses the client past it.
void ClientSession::track_bytes(std::size_t before, std::size_t after) {
  if (after == before) return;
  auto& total = ctx_.facts.counters->client_buffer_bytes;
  const auto delta = static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before);
  account_buffer(delta);
  if (delta > 0 && ProcessCounters::read(total) >
                       static_cast<std::int64_t>(ctx_.config.limits.buffer_budget_bytes)) {
    ProcessCounters::bump(ctx_.facts.counters->clients_refused_buffer_budget);
    spdlog::warn(
        "client {}: process buffer budget (limits.buffer_budget_bytes) exhausted; "
        "closing the client",
        id_);
    const std::string reply = error_reply(
        "ERR funnel: proxy buffer budget exhausted (limits.buffer_budget_bytes); retry later");
    (void)write_transport(reply.data(), reply.size());  // best effort: the client is closed
    close(metrics::CloseReason::kBufferBudget);
  }
}

// Once closed, nothing more is counted: release_buffers_on_close() gave back all it held.
void ClientSession::account_buffer(std::int64_t delta) {
  if (closed_) return;
  buffer_held_ += delta;
  FUNNEL_INVARIANT(buffer_held_ >= 0);
  ProcessCounters::add(ctx_.facts.counters->client_buffer_bytes, delta);
}

// close(): frees the buffers and gives back exactly what this session counted; links paused for
// it read on (their rest of its reply is dropped).
void ClientSession::release_buffers_on_close() {
  ProcessCounters::add(ctx_.facts.counters->client_buffer_bytes, -buffer_held_);
  buffer_held_ = 0;
  if (io_ != &kNoSessionIo) {
    SessionIo& io = this->io();
    ctx_.buffers.release(io.in);
    ctx_.buffers.release(io.out);
    io.out_sent = 0;
    io.partial.reset();
    give_back_io();
  }
  if (rare_->paused_streams != nullptr) resume_streams();
}

void ClientSession::schedule_flush() {
  if (flush_posted_ || write_waiting_ || closed_) return;
  flush_posted_ = true;
  // Inside on_readable the replies of the whole read leave in one write when it ends
  // (flush_after_read): a posted step costs an extra non-blocking epoll_wait of Asio's, and a
  // connection per invocation (handshake, QUIT) had one per read.
  if (in_read_) return;
  // Posted so that every reply framed in this round of the event loop leaves in one write.
  post_step([this] {
    flush_posted_ = false;
    if (!closed_) flush();
  });
}

void ClientSession::flush_after_read() {
  if (!flush_posted_) return;
  flush_posted_ = false;
  if (!closed_ && !write_waiting_) flush();
}

void ClientSession::flush() {
  if (io_->out.empty()) return flushed();
  SessionIo& io = this->io();
  while (io.out_sent < io.out.size()) {
    const net::IoResult wrote =
        write_transport(io.out.data() + io.out_sent, io.out.size() - io.out_sent);
    const std::size_t n = wrote.bytes;
    if (n == 0 && wrote.waits()) {
      // A long stream never empties out: drop what was sent rather than let it grow.
      if (io.out_sent >= kCompactAbove && io.out_sent * 2 >= io.out.size()) {
        io.out.erase(0, io.out_sent);
        io.out_sent = 0;
      }
      if (rare_->paused_streams != nullptr) [[unlikely]]
        resume_streams();
      return wait_writable();
    }
    if (n == 0) return close();  // the client left
    io.out_sent += n;
    ctx_.metrics->bytes_sent.add(n);
  }
  io.out.clear();
  io.out_sent = 0;
  flushed();
}

// Everything queued is written.
void ClientSession::flushed() {
  if (output_watched_ && !(read_waiting_ && read_on_output_)) watch_output(false);
  after_flush();
}

void ClientSession::wait_writable() {
  if (write_waiting_) return;
  wait_write_slot(tls_write_wants_read_);
}

void ClientSession::after_flush() {
  if (rare_->paused_streams != nullptr) [[unlikely]]
    resume_streams();
  if (close_after_seq_ != UINT64_MAX && replies_.head() > close_after_seq_) {
    return close(protocol_failed_ ? metrics::CloseReason::kProtocolError
                                  : metrics::CloseReason::kClient);
  }
  if (ctx_.draining && replies_.idle()) {
    return close(metrics::CloseReason::kShutdown);  // shutting down: last reply is out
  }
  release_buffers_if_idle();
  maybe_resume_reading();
}

void ClientSession::release_buffers_if_idle() {
  if (!io_->out.empty() || !replies_.idle()) return;
  if (io_ != &kNoSessionIo) {
    std::string& out = io().out;
    const std::size_t capacity = out.capacity() <= 15 ? 0 : out.capacity();
    ctx_.buffers.release(out);  // frees it: out holds no heap memory afterwards
    account_buffer(-static_cast<std::int64_t>(capacity));
    release_io_if_unused();
  }
  replies_.release_memory_if_idle();
  release_rare_if_unused();
}

void ClientSession::maybe_resume_reading() {
  if (!reading_paused_ || closed_ || lane_hold_ || auth_delayed_) return;
  if (replies_.pending() >= ctx_.config.limits.max_pipeline_per_client / 2 + 1) return;
  if (unsent_bytes() > ctx_.config.limits.client_output_soft_bytes) return;
  reading_paused_ = false;
  if (!io_->in.empty()) {
    const std::size_t consumed = process_requests(io_->in);
    if (closed_) return;
    keep_unparsed(io_->in, consumed, false);
    if (closed_) return;
  }
  wait_readable();
}

}  // namespace funnel::client
