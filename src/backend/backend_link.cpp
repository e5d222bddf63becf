// BackendLink life cycle: connect, handshake, failure, backoff, retirement. The byte paths
// (writing batches, framing replies) are in link_io.cpp.
#include "backend/backend_link.hpp"

#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>

namespace funnel::backend {

BackendLink::BackendLink(asio::io_context& io, const LinkSettings& settings,
                         resp::Protocol protocol, std::string name, ReplySink& sink,
                         LinkObserver& observer)
    : io_(io),
      settings_(settings),
      protocol_(protocol),
      name_(std::move(name)),
      sink_(sink),
      observer_(observer),
      socket_(io.get_executor()),
      timer_(io.get_executor()) {}

BackendLink::~BackendLink() = default;

const std::string& BackendLink::address() const {
  static const std::string kUnknown = "(unknown)";
  return snapshot_ ? snapshot_->address : kUnknown;
}

std::string BackendLink::unavailable_error() const {
  if (busy_) return down_reason_.substr(down_reason_.find("BUSY "));  // Redis's own text
  return "ERR funnel: backend " + address() + " unavailable (" + down_reason_ +
         "); the command was not run, Funnel keeps reconnecting";
}

ReplyTiming BackendLink::error_timing() {
  return ReplyTiming{0, common::precise_now_ns()};
}

std::string BackendLink::error_reply(std::string_view text) const {
  std::string reply;
  reply.reserve(text.size() + 3);
  reply += '-';
  reply.append(text);
  reply += "\r\n";
  return reply;
}

void BackendLink::start(SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  connect();
}

void BackendLink::connect() {
  ++generation_;
  // Waits and posts of the previous connection are abandoned: their handlers see an old
  // generation and return without touching these flags.
  read_waiting_ = write_waiting_ = flush_posted_ = false;
  busy_ = false;  // until this connection's handshake meets a running script again
  reauth_pending_ = hold_writes_ = false;  // a queued re-AUTH is sent again after the handshake
  state_ = State::kConnecting;
  close_socket();
  if (!snapshot_ || snapshot_->endpoints.empty()) {
    enter_backoff(snapshot_ && !snapshot_->resolve_error.empty() ? snapshot_->resolve_error
                                                                 : "address not resolved yet");
    return;
  }
  auto self = shared_from_this();
  const std::uint64_t generation = generation_;
  asio::async_connect(socket_, snapshot_->endpoints,
                      [self, generation](boost::system::error_code ec, const auto&) {
                        self->on_connected(generation, ec);
                      });
  timer_.expires_after(std::chrono::milliseconds(settings_.connect_timeout_ms.get()));
  timer_.async_wait([self, generation](boost::system::error_code ec) {
    if (ec || generation != self->generation_ || self->state_ != State::kConnecting) return;
    self->down_reason_ = "connect timeout";
    boost::system::error_code ignored;
    self->socket_.close(ignored);  // on_connected sees operation_aborted
  });
}

void BackendLink::on_connected(std::uint64_t generation, boost::system::error_code ec) {
  if (generation != generation_ || state_ != State::kConnecting) return;
  timer_.cancel();
  if (ec) {
    enter_backoff(ec == asio::error::operation_aborted ? "connect timeout" : ec.message());
    return;
  }
  ++connects_;
  if (!register_for_input_only()) return enter_backoff("could not register the socket");
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  socket_.non_blocking(true, ignored);
  transport_.attach(socket_.native_handle());
  state_ = State::kHandshaking;
  if (tls_for(settings_, snapshot_->address) != nullptr && !start_tls()) return;
  const auto credentials = credentials_for(settings_, snapshot_->address).get();
  provisioning_ = make_provisioning(settings_.backend_user.get(), settings_.script_gate.get(),
                                    credentials->password.get(), snapshot_->commands.get());
  setuser_error_.clear();
  handshake_ = encode_handshake(protocol_, credentials->user, credentials->password.get(), name_,
                                db_, provisioning_ ? &*provisioning_ : nullptr);
  if (readonly_) handshake_ += encode_command({"READONLY"});  // answered +OK, read as a step
  handshake_sent_ = 0;
  handshake_replies_ = 0;
  flush();
  wait_readable();
}

// Asio keeps EPOLLOUT in a socket's edge-triggered epoll registration once any write wait has
// used it (the connect did), and from then on every bare ACK from the backend wakes the worker
// for nothing: at one request at a time that was a third of the worker's wake-ups. Handing the
// descriptor back to Asio registers it afresh, for input only; a later write wait (a full send
// buffer) adds EPOLLOUT again for as long as that connection lives. No operation is pending here.
bool BackendLink::register_for_input_only() {
  boost::system::error_code ec;
  const asio::ip::tcp protocol = socket_.local_endpoint(ec).protocol();
  if (ec) return true;  // keep the registration as it is; only wake-ups are at stake
  const int fd = socket_.release(ec);
  if (ec) return true;
  socket_.assign(protocol, fd, ec);
  if (!ec) return true;
  ::close(fd);
  return false;
}

void BackendLink::on_handshake_reply(std::string_view reply) {
  if (!handshake_step_ok(reply)) return;
  if (handshake_replies_ < handshake_replies(db_, provisioning_.has_value()) + (readonly_ ? 1 : 0))
    return;
  finish_provisioning();
  state_ = State::kReady;
  up_ = true;
  authed_at_ = common::coarse_now_ms();
  hold_writes_ = false;
  if (metrics_ != nullptr) metrics_->backend_connects.add();
  consecutive_failures_ = 0;
  busy_ = false;
  observer_.on_link_ready(*this, handshake_result_);
  schedule_flush();  // requests queued while connecting
}

// One handshake reply; false once the link has failed. A refused ACL SETUSER is not a failure:
// the link then runs as backend.user (finish_provisioning).
bool BackendLink::handshake_step_ok(std::string_view reply) {
  const HandshakeStep step = handshake_step(handshake_replies_++, provisioning_.has_value());
  if (step == HandshakeStep::kHello) {
    handshake_result_ = interpret_handshake_reply(reply);
    if (handshake_result_.ok) return true;
    refuse_handshake(handshake_result_.error);
    return false;
  }
  HandshakeResult result = interpret_select_reply(reply);
  if (result.ok) return true;
  if (step == HandshakeStep::kSetUser) {
    setuser_error_ = std::move(result.error);
    return true;
  }
  // AUTH fails as expected after a refused ACL SETUSER; otherwise (another instance changed the
  // user's password in between) the link starts again.
  if (step == HandshakeStep::kAuth && !setuser_error_.empty()) return true;
  refuse_handshake(result.error);
  return false;
}

// A script running on the node answers the handshake's SETNAME with BUSY: the node is fine and
// comes back the moment the script ends (SCRIPT KILL through Funnel says so: busy_ended), so the
// link retries at the shortest backoff and its clients get Redis's own BUSY error meanwhile.
void BackendLink::refuse_handshake(const std::string& error) {
  spdlog::warn("backend {} link {}: handshake refused: {}", address(), name_, error);
  busy_ = error.starts_with("BUSY ");
  if (busy_) busy_seen_ = settings_.busy_ended->load(std::memory_order_relaxed);
  fail("handshake refused: " + error);
}

bool BackendLink::retry_after_busy() {
  if (state_ != State::kBackoff || !busy_) return false;
  if (settings_.busy_ended->load(std::memory_order_relaxed) == busy_seen_) return false;
  busy_ = false;
  connect();  // requests submitted from now on wait in the link for its handshake
  return accepting();
}

// After a refused ACL SETUSER the connection runs as backend.user: scripts must not run on it.
// Requests queued while connecting were admitted before that was known; if any of them may hold
// a script (a script command, a MULTI block), all of them are answered now, unsent.
void BackendLink::finish_provisioning() {
  provisioned_auth_.clear();
  scripts_refused_ = false;
  if (!provisioning_) return;
  security::ScriptGate& gate = *settings_.script_gate;
  if (setuser_error_.empty()) {
    provisioned_auth_ = provisioning_->auth;
    gate.report_enforced();
    return;
  }
  scripts_refused_ = true;
  if (gate.report_refused(setuser_error_)) {
    spdlog::error(
        "backend {} refused ACL SETUSER ({}): links run as backend.user, so auth.deny_commands "
        "cannot hold inside scripts and Funnel refuses script commands; allow ACL SETUSER for "
        "backend.user or set auth.backend_enforces_deny_list = 1 (docs/security.md#scripts)",
        address(), setuser_error_);
  }
  for (std::size_t i = 0; i < pipeline_.size(); ++i) {
    const ReplyTarget& target = pipeline_.at(i).target;
    if (security::runs_script(target.command_id) || target.extra_replies != 0) {
      fail_unsent(scripts_refused_error());
      return;
    }
  }
}

std::string BackendLink::scripts_refused_error() const {
  return "ERR funnel: backend " + address() +
         " refused ACL SETUSER, so scripts are refused (docs/security.md#scripts); the command "
         "was not run";
}

void BackendLink::fail(std::string_view reason) {
  if (state_ == State::kClosed) return;
  const bool was_ready = state_ == State::kReady || state_ == State::kRetiring;
  ++generation_;
  close_socket();
  timer_.cancel();
  down_reason_ = std::string(reason);
  // Requests already written may have run: say so. A request only partly written did not run
  // (Redis executes nothing of an incomplete command), so it stays queued with the unsent ones.
  const std::string lost =
      error_reply("ERR funnel: connection to backend " + address() + " lost before the reply (" +
                  down_reason_ + "); the command may or may not have run");
  while (!pipeline_.empty() && pipeline_.front().end <= sent_) {
    InFlight& entry = pipeline_.front();
    const bool has_followers = entry.has_followers;  // `entry` may move while the sink runs
    if (entry.streaming) {
      abort_stream(entry);  // part of the reply is out: no error can follow
    } else if (!entry.abandoned && !retried_elsewhere(entry, down_reason_)) {
      sink_.deliver(entry.target, lost, error_timing());
    }
    if (has_followers) [[unlikely]]
      answer_followers(pipeline_.first_absolute(), lost, error_timing());
    pipeline_.pop();
  }
  read_paused_ = false;
  if (coalescer_ != nullptr) coalescer_->restart();
  pipeline_.restart_front();
  const std::uint64_t resend_from =
      pipeline_.empty() ? out_base_ + out_.size() : pipeline_.front().begin;
  out_.erase(0, resend_from - out_base_);
  out_base_ = resend_from;
  sent_ = resend_from;
  in_start_ = in_len_ = 0;
  framer_.reset();
  flush_posted_ = false;
  if (up_) {
    up_ = false;
    observer_.on_link_down(*this, down_reason_);
  }
  if (state_ == State::kRetiring) {
    fail_unsent("ERR funnel: backend " + address() + " link closed while retiring (" +
                down_reason_ + "); the command was not run");
    finish_retired();
    return;
  }
  if (was_ready && metrics_ != nullptr) metrics_->backend_reconnects.add();
  if (was_ready && consecutive_failures_ == 0) {
    // A healthy link dropped (killed, network blip): reconnect at once, keep queued requests.
    consecutive_failures_ = 1;
    spdlog::warn("backend {} link {} lost ({}); reconnecting", address(), name_, down_reason_);
    connect();
    return;
  }
  enter_backoff(down_reason_);
}

void BackendLink::enter_backoff(std::string_view reason) {
  ++generation_;
  close_socket();
  if (state_ != State::kBackoff) {
    spdlog::warn("backend {} link {} down: {}", address(), name_, reason);
  }
  down_reason_ = std::string(reason);
  state_ = State::kBackoff;
  if (metrics_ != nullptr) metrics_->backend_connect_failures.add();
  fail_unsent(unavailable_error());
  const unsigned shift = busy_ ? 0u : std::min(consecutive_failures_, 16u);
  ++consecutive_failures_;
  const common::Millis delay =
      std::min(settings_.backoff_max_ms.get(), settings_.backoff_min_ms.get() << shift);
  auto self = shared_from_this();
  const std::uint64_t generation = generation_;
  timer_.expires_after(std::chrono::milliseconds(delay));
  timer_.async_wait([self, generation](boost::system::error_code ec) {
    if (ec || generation != self->generation_ || self->state_ != State::kBackoff) return;
    self->connect();
  });
}

void BackendLink::fail_unsent(std::string_view error) {
  const std::string reply = error_reply(error);
  const ReplyTiming timing = error_timing();
  pipeline_.drain([&](const InFlight& entry) {
    if (!retried_elsewhere(entry, error)) sink_.deliver(entry.target, reply, timing);
  });
  if (coalescer_ != nullptr) {  // every leader was just answered: so are their followers
    coalescer_->restart();
    coalescer_->take_all([&](const ReplyTarget& target) { sink_.deliver(target, reply, timing); });
  }
  pipeline_.release_if_empty();
  out_base_ += out_.size();
  out_.clear();
  sent_ = out_base_;
}

bool BackendLink::retried_elsewhere(const InFlight& entry, std::string_view reason,
                                    bool node_failed) {
  if (!(entry.target.flags & ReplyTarget::kRetryRead)) return false;
  return observer_.on_link_read_failed(*this, request_bytes(entry), entry.target, entry.deadline,
                                       reason, node_failed);
}

void BackendLink::retire() {
  if (state_ == State::kClosed || state_ == State::kRetiring) return;
  if (state_ != State::kReady || pipeline_.empty()) {
    fail_unsent("ERR funnel: backend " + address() +
                " link replaced before the request was sent; the command was not run");
    finish_retired();
    return;
  }
  state_ = State::kRetiring;
}

void BackendLink::shutdown(std::string_view reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kRetiring;
  fail(reason);
}

void BackendLink::finish_retired() {
  if (up_) {
    up_ = false;
    observer_.on_link_down(*this, "retired");
  }
  ++generation_;
  state_ = State::kClosed;
  close_socket();
  timer_.cancel();
  // Let the observer drop us after the current handler returns.
  auto self = shared_from_this();
  asio::post(io_, [self] { self->observer_.on_link_retired(*self); });
}

void BackendLink::tick(common::Millis now) {
  if (settings_.reauth_after_ms.get() != 0) [[unlikely]]
    reauth_tick(now);
  if (pipeline_.empty()) return;
  // During a client's PAUSE ALL (and one request timeout after it) Redis postpones every
  // request: the node is paused, not failed, so nothing expires and no link is closed.
  if (settings_.pause_gate->excuses_timeouts(now, settings_.request_timeout_ms)) [[unlikely]]
    return;
  // Pinned links carry blocking commands, whose deadline is their own timeout plus the margin.
  const std::string timeout =
      error_reply("ERR funnel: no reply from backend " + address() + " within " +
                  (stall_check_ ? "" : "the command's own timeout plus ") +
                  std::to_string(settings_.request_timeout_ms.get()) +
                  " ms; the command may or may not have run");
  const ReplyTiming timing = error_timing();
  pipeline_.expire(now, [&](const InFlight& entry) {
    if (metrics_ != nullptr) metrics_->backend_timeouts.add();
    if (!retried_elsewhere(entry, "no reply in time")) sink_.deliver(entry.target, timeout, timing);
  });
  if (coalescer_ != nullptr && coalescer_->followers() != 0) [[unlikely]]
    answer_abandoned_followers(timeout, timing);
  if (pipeline_.front().streaming) return check_stream_stall(now);
  if (stall_check_ && (state_ == State::kReady || state_ == State::kRetiring) &&
      now - pipeline_.front().submitted > settings_.stall_timeout_ms) {
    spdlog::warn("backend {} link {}: oldest request unanswered for {} ms; closing the link",
                 address(), name_, now - pipeline_.front().submitted);
    fail("stalled: no reply for " + std::to_string(now - pipeline_.front().submitted) + " ms");
  }
}

}  // namespace funnel::backend
