// ClientSession: the read → parse loop, forwarding, and closing. Each request's plan is carried
// out in session_plan.cpp; local commands are in local_table.cpp, INFO/CLIENT INFO text in
// client_info.cpp.
#include "client/client_session.hpp"
#include "backend/write_batch.hpp"
#include "client/fan_out.hpp"
#include "client/pin_lease.hpp"
#include "client/pubsub_counts.hpp"
#include "client/read_routes.hpp"
#include "client/transaction.hpp"
#include "net/poller.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace funnel::client {
namespace {
constexpr std::size_t kScratchSize = 64 * 1024;
// An input buffer larger than this, and four times larger than what it holds, is shrunk.
constexpr std::size_t kShrinkAbove = 64 * 1024;

// A buffer's heap capacity as the buffer budget counts it (small-string storage is none).
std::size_t held_capacity(const std::string& buffer) {
  return buffer.capacity() <= 15 ? 0 : buffer.capacity();
}

using metrics::ProcessCounters;

using resp::error_reply;

metrics::CommandClass command_class(const command::Classification& cls) {
  if (cls.route == command::Route::kLocal) return metrics::CommandClass::kLocal;
  if (cls.read_only) return metrics::CommandClass::kRead;
  if (cls.spec != nullptr && cls.spec->has(command::Flag::kWrite)) {
    return metrics::CommandClass::kWrite;
  }
  return metrics::CommandClass::kOther;
}

}  // namespace

ClientSession* ClientSession::start(SessionContext& context, int fd, std::uint64_t client_id,
                                    SSL* tls) {
  // From the worker's slab: a connection per invocation allocates no session memory.
  void* block = context.session_slab.take(sizeof(ClientSession));
  auto* session = new (block) ClientSession(context, fd, client_id, tls);
  if (const security::User* initial = context.users->initial_user();
      initial != nullptr && !session->switch_user(initial)) [[unlikely]] {
    session->refuse_full_user(*initial);
    return nullptr;
  }
  if (!context.poller->add(fd, session)) {
    spdlog::warn("client {}: cannot watch its socket: {}", client_id, std::strerror(errno));
    session->close();
    return nullptr;
  }
  // Input that arrived before the registration is reported by it as the first edge.
  session->wait_readable();
  return session;
}

ClientSession::ClientSession(SessionContext& context, int fd, std::uint64_t client_id, SSL* tls)
    : ctx_(context), id_(client_id) {
  transport_.attach(fd, tls);
  connected_at_ = last_activity_ = common::coarse_now_ms();
  handle_ = ctx_.registry.add(this);
  // Non-blocking (accept4), TCP_NODELAY and keepalive come from the listener
  // (server/client_socket_options.hpp).
}

SessionRare::~SessionRare() = default;
constinit const SessionRare kNoSessionRare;
constinit const SessionIo kNoSessionIo;

ClientSession::~ClientSession() {
  if (rare_ != &kNoSessionRare) delete rare_;
  if (io_ != &kNoSessionIo) delete io_;  // (close() gives it back; this is a safety net)
}

void ClientSession::make_rare() {
  rare_ = new SessionRare();
}

void ClientSession::release_rare() {
  delete rare_;
  rare_ = &kNoSessionRare;
}

bool ClientSession::idle_for(common::Millis now, common::Millis limit) const {
  // Subscribed clients are exempt, as in Redis: they wait for messages, not idle.
  return replies_.idle() && io_->out.empty() && !subscribed() && now - last_activity_ >= limit;
}

void ClientSession::wait_readable() {
  if (read_waiting_ || closed_ || stop_reading_) return;
  if (reading_paused_ || subscribe_barrier()) {
    if (peer_closed_ && closes_on_half_close()) close();
    return;  // nothing more is read for now
  }
  if (transport_.tls()) return wait_tls_readable();
  wait_read_slot(ReadThen::kRead, false);
}

// Reads into the worker's scratch buffer. A client with nothing buffered (the common case) is
// parsed there; otherwise the bytes are appended to its input buffer, which so grows with the
// bytes that arrive (libstdc++ at most doubles its capacity), never with a length the client
// announced.
void ClientSession::on_readable() {
  last_activity_ = common::coarse_now_ms();
  if (ctx_.scratch.size() < kScratchSize) ctx_.scratch.resize(kScratchSize);
  const net::IoResult read = read_transport(ctx_.scratch.data(), ctx_.scratch.size());
  if (read.bytes == 0) {
    if (read.status == net::Io::kEof) return on_peer_eof();
    if (read.status == net::Io::kError) return close();  // the client left
    return wait_readable();
  }
  const std::size_t n = read.bytes;
  ctx_.metrics->bytes_received.add(n);
  if (rare_->failover_deadline != 0) [[unlikely]]
    rare().failover_deadline = 0;            // new requests: a hold of their own
  ctx_.batch_ns = common::precise_now_ns();  // one clock read per batch of requests
  const bool from_scratch = io_->in.empty();
  std::string_view data(ctx_.scratch.data(), n);
  if (!from_scratch) {
    std::string& in = io().in;
    const std::size_t capacity_before = held_capacity(in);
    in.append(data);
    track_buffer(capacity_before, in);
    if (closed_) return;
    data = in;
  }
  std::size_t consumed = 0;
  {
    backend::WriteBatch batch;  // idle links this pass reaches write when it ends
    in_read_ = true;
    consumed = process_requests(data);
    in_read_ = false;
  }
  if (closed_) return;
  keep_unparsed(data, consumed, from_scratch);
  if (!closed_) flush_after_read();  // the local replies of this read, in one write
  if (!closed_) wait_readable();
}

// A partial request is parsed once: its position is suspended into io's partial (the parser is the
// worker's, shared by its clients) and resumed on the next read, so a request that arrives in
// many pieces costs time linear in its bytes. Resumed before the loop and put back after it if
// the loop did not get to it, so the loop itself pays nothing for it.
std::size_t ClientSession::process_requests(std::string_view data) {
  std::size_t pos = 0;
  ctx_.writes_paused = ctx_.pause_gate->holds_writes();  // two relaxed loads per batch
  ctx_.holding_all = false;  // (the worker's: another session's batch may have set it)
  if (ctx_.writes_paused) [[unlikely]]
    ctx_.holding_all = ctx_.pause_gate->holds_all(common::coarse_now_ms());
  ctx_.failover_hold = ctx_.failover_gate->holding(ctx_.snapshot->epoch);  // 3 relaxed loads
  const std::size_t max_pipeline = ctx_.config.limits.max_pipeline_per_client;
  // Until AUTH succeeds a client may send only small requests (limits.max_unauthenticated_
  // request_bytes), so it cannot make Funnel buffer much.
  resp::RequestParser* resumed = nullptr;
  if (io_->partial != nullptr) [[unlikely]] {
    resumed = state_.user != nullptr ? &ctx_.parser : &ctx_.preauth_parser;
    resumed->resume(*io_->partial);  // its request starts at data[0]
    io().partial.reset();
  }
  while (pos < data.size() && !stop_reading_ && !closed_ && !subscribe_barrier() &&
         !auth_delayed_) {
    if (replies_.pending() >= max_pipeline) {
      reading_paused_ = true;  // backpressure: resume when replies drain (after_flush)
      ctx_.metrics->pressure(metrics::Backpressure::kPipelineLimit);
      break;
    }
    resp::RequestParser& parser = state_.user != nullptr ? ctx_.parser : ctx_.preauth_parser;
    parser.prepare();
    const resp::ParseStatus status = parser.parse(data.substr(pos));
    if (status == resp::ParseStatus::kNeedMore) {
      suspend_partial(parser);
      break;
    }
    if (status == resp::ParseStatus::kInvalid) {
      protocol_error(parser.error());
      break;
    }
    const resp::Request& request = parser.request();
    if (!request.is_empty() && !handle_request(request)) break;  // held at the lane barrier
    pos += parser.consumed();
  }
  if (resumed != nullptr && resumed->mid_request()) [[unlikely]] {
    suspend_partial(*resumed);  // not reached (paused): keep it
  }
  return pos;
}

// Hands one request (or a MULTI … EXEC block with `extra_replies` replies before the client's)
// to the client's backend link and counts it on the client's lane.
void ClientSession::forward(std::string_view bytes, std::uint64_t seq, std::uint16_t extra_replies,
                            std::uint8_t flags, common::Millis deadline) {
  backend::ReplyTarget target = reply_target(seq, extra_replies, flags);
  if (ctx_.track_writes && !ctx_.classification.read_only) [[unlikely]] {
    count_write(target);
  }
  ctx_.metrics->requests_in_flight_up.add();
  state_.lanes.sent(state_.forward_lane());
  if (state_.requests_on_pin() && !(flags & backend::ReplyTarget::kOutOfBand)) {
    rare_->pin->pool().submit(rare_->pin->link(), bytes, target, deadline);
  } else {
    backend::BackendPool* pool = ctx_.pool;
    if (ctx_.slot_map != nullptr) [[unlikely]]
      pool = ctx_.pool_for_slot(ctx_.request_slot);  // cluster mode: the key's shard
    if (ctx_.coalesce != nullptr) [[unlikely]] {
      if (submit_offered(*pool, bytes, target, deadline)) return;
    }
    pool->submit(state_.protocol, id_, bytes, target, deadline, state_.db);
  }
}

backend::ReplyTarget ClientSession::reply_target(std::uint64_t seq, std::uint16_t extra_replies,
                                                 std::uint8_t flags) {
  const command::Classification& cls = ctx_.classification;
  backend::ReplyTarget target;
  target.session_index = handle_.index;
  target.session_generation = handle_.generation;
  target.seq = seq;
  target.worker = static_cast<std::uint16_t>(ctx_.worker_index);
  target.started_ns = ctx_.batch_ns;
  target.command_id = cls.spec != nullptr ? cls.spec->id : 0;
  target.command_class = static_cast<std::uint8_t>(command_class(cls));
  target.flags = flags;
  target.extra_replies = extra_replies;
  if (silent_) target.flags |= backend::ReplyTarget::kNoReply;
  return target;
}

void ClientSession::protocol_error(std::string_view message) {
  spdlog::debug("client {} protocol error: {}", id_, message);
  ProcessCounters::bump(ctx_.facts.counters->clients_closed_protocol_error);
  const std::uint64_t seq = replies_.open_slot();
  protocol_failed_ = true;
  // The parser's own limit is Funnel's, not Redis's: say so, as every proxy-only error does.
  std::string text;
  message = parser_error_text(message, text);
  if (text.empty()) {
    text = message.starts_with("request exceeds") ? "ERR funnel: " : "ERR Protocol error: ";
    text.append(message);
  }
  close_after_seq_ = seq;
  stop_reading_ = true;
  answer_error(seq, text);
}

void ClientSession::suspend_partial(resp::RequestParser& parser) {
  SessionIo& io = this->io();
  io.partial = std::make_unique<resp::ParsePosition>();
  parser.suspend(*io.partial);
}

void ClientSession::keep_unparsed(std::string_view data, std::size_t consumed, bool from_scratch) {
  if (from_scratch && consumed == data.size()) return;
  std::string& in = io().in;
  const std::size_t capacity_before = held_capacity(in);
  if (from_scratch) {
    if (in.capacity() <= 15) in = ctx_.buffers.acquire();
    in.assign(data.substr(consumed));
  } else {
    in.erase(0, consumed);
    if (in.empty()) {
      ctx_.buffers.release(in);
    } else if (in.capacity() > kShrinkAbove && in.capacity() / 4 > in.size()) {
      // A large request has gone: keep the bytes that follow it, not the room it needed.
      std::string smaller(in);
      in.swap(smaller);
    }
  }
  track_buffer(capacity_before, in);
  if (!closed_ && in.empty()) release_io_if_unused();
}

// Unparsed bytes (a partial request) that will never be completed: freed now.
void ClientSession::drop_unparsed() {
  if (io_ == &kNoSessionIo) return;
  SessionIo& io = this->io();
  io.partial.reset();
  const std::size_t capacity_before = held_capacity(io.in);
  ctx_.buffers.release(io.in);
  track_buffer(capacity_before, io.in);
  if (!closed_) release_io_if_unused();
}

// Accounts a buffer's growth against the process-wide budget; refuses the client past it.
void ClientSession::begin_drain() {
  stop_reading_ = true;
  if (replies_.idle() && io_->out.empty()) close(metrics::CloseReason::kShutdown);
}

void ClientSession::close(metrics::CloseReason reason) {
  if (closed_) return;
  closed_ = true;
  end_transaction();  // a client that leaves mid-MULTI sends nothing
  end_pin();          // a link with a command in flight (a blocked BLPOP) is closed
  if (ctx_.near_cache != nullptr) [[unlikely]]
    near_cache_closed();
  if (pause_held_) ctx_.pause_gate->add_held(-1);
  pause_held_ = false;
  if (failover_held_) ctx_.failover_gate->add_held(-1);
  failover_held_ = false;
  ctx_.metrics->closed(reason);
  switch_user(nullptr);  // its place in the user's connection count
  const int fd = transport_.fd();
  transport_.reset();
  ::close(fd);  // also leaves the poller's set
  if (rare_->auth_delay) rare_->auth_delay->cancel();
  ctx_.registry.remove(handle_);
  leave_all_subscriptions();
  release_buffers_on_close();
  ProcessCounters::add(ctx_.facts.counters->clients_connected, -1);
  // Never delete inside close(): callers may still be on this object's stack frames, and later
  // events of the poller's batch may name it. Closed by an event (the common case: QUIT, EOF),
  // it is deleted when the batch ends; otherwise from a posted handler.
  ++pending_ops_;
  if (ctx_.poller->in_batch()) return ctx_.poller->after_batch(this);
  asio::post(ctx_.io, [this] { on_batch_end(); });
}

void ClientSession::on_batch_end() {
  --pending_ops_;
  maybe_destroy();
}

void ClientSession::maybe_destroy() {
  if (!closed_ || pending_ops_ != 0) return;
  SessionContext& ctx = ctx_;
  this->~ClientSession();
  ctx.session_slab.give(this, ctx.registry.size());
}

}  // namespace funnel::client
