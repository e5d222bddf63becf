// ClientSession's pinned link: leasing one for WATCH … EXEC or a blocking command, forwarding on
// it, and giving it back (see pin_lease.hpp and backend/pinned_pool.hpp).
#include <cctype>
#include <limits>
#include <tuple>

#include <boost/asio/post.hpp>

#include "client/blocking_timeout.hpp"
#include "client/client_session.hpp"
#include "client/pin_lease.hpp"
#include "client/subscriptions.hpp"
#include "client/transaction.hpp"
#include "command/ascii.hpp"

namespace funnel::client {
namespace {
using command::LocalCommand;

static_assert(std::tuple_size_v<decltype(metrics::WorkerMetrics::pins)> ==
                  static_cast<std::size_t>(PinReason::kCount),
              "one funnel_pins_total counter per PinReason");

// WAIT and WAITAOF count the calling connection's writes: truthful only on the client's own link.
bool counts_own_writes(const command::Classification& cls) {
  return cls.spec != nullptr && (cls.spec->name == "wait" || cls.spec->name == "waitaof");
}
}  // namespace

void PinLease::on_lease(backend::LinkPtr link) {
  set_link(std::move(link));
  waiting_ = false;
  if (session_.db_ != 0) session_.ctx_.pinned->select_database(*link_, session_.db_);
  session_.resume_held();
}

void PinLease::on_lease_refused(std::string_view error) {
  error_ = error;
  waiting_ = false;
  session_.resume_held();
}

void PinLease::on_push(backend::BackendLink&, std::string_view reply, resp::ReplyKind kind) {
  if (reason_ == PinReason::kMonitor) return session_.monitor_line(reply);
  if (kind == resp::ReplyKind::kPush) session_.tracking_push(reply);
}

bool ClientSession::wants_pin(const command::Classification& cls) const {
  return tx_ == nullptr && (cls.blocking || cls.local == LocalCommand::kWatch ||
                            cls.local == LocalCommand::kMonitor || is_client_tracking(cls));
}

bool ClientSession::is_client_tracking(const command::Classification& cls) {
  return cls.local == LocalCommand::kClient && cls.spec != nullptr &&
         cls.spec->name == "client|tracking";
}

// CLIENT TRACKING from a client that holds no link yet. Returns true once answered here: OFF
// when not tracking is Redis's +OK; RESP2 clients and REDIRECT cannot work through a proxy
// (invalidations would go to a backend connection id, not to the client).
bool ClientSession::answered_tracking_without_pin(const resp::Request& request) {
  const bool on = request.argc() >= 3 && command::iequals(request.arg(2), "on");
  std::string_view refusal;
  if (protocol_ != resp::Protocol::kResp3) {
    refusal =
        "ERR funnel: CLIENT TRACKING through Funnel needs RESP3 (HELLO 3): in RESP2 invalidations "
        "go to another connection (REDIRECT), which cannot work through a proxy";
  } else {
    for (std::size_t i = 3; i < request.argc(); ++i) {
      std::string option(request.arg(i));
      for (char& c : option) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (option == "REDIRECT") {
        refusal =
            "ERR funnel: CLIENT TRACKING REDIRECT is not supported through Funnel (the id would "
            "name a backend connection); use RESP3 pushes on this connection";
      }
    }
  }
  if (!refusal.empty()) {
    answer_error(open_slot(), refusal);
    return true;
  }
  if (on) return false;
  answer_local(open_slot(), "+OK\r\n");  // OFF (or a syntax error Redis would report) unpinned
  return true;
}

// An invalidation push from the tracking lease's link: between whole replies, as Redis sends it.
void ClientSession::tracking_push(std::string_view push_bytes) {
  if (closed_) return;
  const std::size_t capacity_before = out_.capacity();
  if (capacity_before <= 15) out_ = ctx_.buffers.acquire();
  append_push(out_, protocol_, push_bytes);
  track_buffer(capacity_before <= 15 ? 0 : capacity_before, out_);
  if (!closed_) schedule_flush();
}

// The pinned path: a request from a client that holds (or waits for) a lease, or one that needs
// one. Returns false if the request must wait (for a lease, or at the lane barrier).
bool ClientSession::handle_pinned(const resp::Request& request) {
  const command::Classification& cls = ctx_.classification;
  if (pin_ != nullptr && pin_->refused()) {
    answer_error(open_slot(), pin_->error());
    pin_.reset();
    return true;
  }
  if (pin_ != nullptr && pin_->monitoring()) return handle_monitoring(request);
  if (pin_ != nullptr && (pin_->wants_release() || cls.local == LocalCommand::kReset)) {
    // The pin's work is done (or RESET will end it): give the link back once it is idle, then
    // serve this request like any other. As in Redis, RESET runs after the blocked command.
    if (lanes_.in_flight() != 0) return hold_at_lane_barrier();
    if (cls.local != LocalCommand::kReset) {
      end_pin();
      if (!wants_pin(cls)) return handle_unpinned(request);
    }
  }
  if (pin_ == nullptr && !ctx_.pinned->enabled()) {
    std::string name = cls.spec != nullptr ? cls.spec->name : std::string("WATCH");
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    answer_error(open_slot(),
                 command::unsupported_error(
                     name, "it needs a dedicated backend connection and backend.max_pinned = 0"));
    return true;
  }
  if (pin_ == nullptr && is_client_tracking(cls) && answered_tracking_without_pin(request)) {
    return true;
  }
  if (pin_ == nullptr) {
    if (lanes_.in_flight() != 0) return hold_at_lane_barrier();  // pin after earlier replies
    const PinReason reason = cls.blocking                          ? PinReason::kBlocking
                             : is_client_tracking(cls)             ? PinReason::kTracking
                             : cls.local == LocalCommand::kMonitor ? PinReason::kMonitor
                                                                   : PinReason::kWatch;
    if (!begin_pin(reason)) return false;
  }
  if (pin_->waiting()) return hold_at_lane_barrier();
  if (lanes_.must_wait(forward_lane())) return hold_at_lane_barrier();
  const std::uint64_t seq = open_slot();
  if (cls.route == command::Route::kReject) {
    answer_error(seq, cls.error);
    return true;
  }
  if (!admitted(request, seq)) return true;  // NOPERM (and the rest) hold on a pinned link too
  const common::Millis deadline = common::coarse_now_ms() + ctx_.config.backend.request_timeout_ms;
  switch (cls.route) {
    case command::Route::kForward:
      forward(request.raw(), seq, 0, backend::ReplyTarget::kRetried, deadline);
      return true;
    case command::Route::kLocal:
      handle_pinned_local(request, seq, deadline);
      return true;
    default:
      break;
  }
  if (cls.blocking) {
    forward(request.raw(), seq, 0, backend::ReplyTarget::kRetried, blocking_deadline(request));
    if (pin_->reason() == PinReason::kBlocking) pin_->release_when_idle();
  } else if (counts_own_writes(cls)) {
    forward(request.raw(), seq, 0, backend::ReplyTarget::kRetried, deadline);
  } else {
    answer_error(seq, cls.error);
  }
  return true;
}

// Commands Funnel answers for unpinned clients, on a pinned link: the transaction commands run
// on the link itself (WATCH's state lives there); inside a MULTI on the link, PING and ECHO are
// queued there too, so EXEC's array is Redis's own.
void ClientSession::handle_pinned_local(const resp::Request& request, std::uint64_t seq,
                                        common::Millis deadline) {
  const command::Classification& cls = ctx_.classification;
  switch (cls.local) {
    case LocalCommand::kMulti:
      pin_->in_multi = true;
      break;
    case LocalCommand::kExec:
    case LocalCommand::kDiscard:
    case LocalCommand::kUnwatch:
      pin_->in_multi = false;
      if (pin_->reason() == PinReason::kWatch) pin_->release_when_idle();
      break;
    case LocalCommand::kWatch:
      break;
    case LocalCommand::kMonitor:
      if (pin_->reason() != PinReason::kMonitor) {
        return answer_error(seq,
                            "ERR funnel: MONITOR cannot start on a connection that holds a "
                            "dedicated backend connection for WATCH, a blocking command or "
                            "tracking; send it first");
      }
      forward(request.raw(), seq, 0,
              backend::ReplyTarget::kRetried | backend::ReplyTarget::kMonitorStart, deadline);
      pin_->start_monitoring();  // later requests go on shared links, behind MONITOR's reply
      return;
    case LocalCommand::kPing:
    case LocalCommand::kEcho:
      if (pin_->in_multi) break;
      return handle_local(request, seq);
    case LocalCommand::kHello:
      if (request.argc() >= 2 && (request.arg(1) == "3") != (protocol_ == resp::Protocol::kResp3)) {
        // The pinned link speaks the protocol it was leased with until the pin ends.
        return answer_error(seq,
                            "ERR funnel: HELLO cannot change the protocol while this connection "
                            "holds a dedicated backend connection (after WATCH or during a "
                            "blocking command); send UNWATCH, EXEC or DISCARD first");
      }
      return handle_local(request, seq);
    case LocalCommand::kClient:
      if (!forward_client_on_pinned_link(request, seq)) return;
      break;
    case LocalCommand::kSelect: {
      // The pinned link must follow: SELECT runs on it (its reply is the client's).
      std::string& out = ctx_.local_reply;
      out.clear();
      if (!select_database(request, out)) return answer_local(seq, out);
      break;
    }
    default:
      return handle_local(request, seq);  // RESET ends the pin (cmd_reset)
  }
  forward(request.raw(), seq, 0, backend::ReplyTarget::kRetried, deadline);
}

// CLIENT on a pinned link: the client-side caching family runs on the link itself (its tracking
// state lives there); everything else is Funnel's, as for any client. Returns false once the
// request has been answered here.
bool ClientSession::forward_client_on_pinned_link(const resp::Request& request, std::uint64_t seq) {
  const command::Classification& cls = ctx_.classification;
  const std::string_view name = cls.spec != nullptr ? std::string_view(cls.spec->name) : "";
  const bool caching_family = name == "client|tracking" || name == "client|caching" ||
                              name == "client|trackinginfo" || name == "client|getredir";
  if (!caching_family) {
    handle_local(request, seq);
    return false;
  }
  if (name == "client|tracking") {
    if (pin_->reason() != PinReason::kTracking) {
      answer_error(seq,
                   "ERR funnel: CLIENT TRACKING cannot start on a connection that holds a "
                   "dedicated backend connection for WATCH or a blocking command; send it first");
      return false;
    }
    // Tracking ends only on OFF (any spelling, as Redis); a syntax error leaves it as it was.
    if (request.argc() >= 3 && command::iequals(request.arg(2), "off")) pin_->release_when_idle();
  }
  return true;
}

common::Millis ClientSession::blocking_deadline(const resp::Request& request) const {
  const command::Classification& cls = ctx_.classification;
  const std::string_view name = cls.spec != nullptr ? std::string_view(cls.spec->name) : "";
  const auto timeout = blocking_timeout_ms(name, request);
  const common::Millis margin = ctx_.config.backend.request_timeout_ms;
  if (!timeout) return common::coarse_now_ms() + margin;
  if (*timeout == 0) return std::numeric_limits<common::Millis>::max();  // waits for ever
  return common::coarse_now_ms() + *timeout + margin;
}

// Leases a link now, or starts waiting for one. Returns false if the request must wait.
bool ClientSession::begin_pin(PinReason reason) {
  pin_ = std::make_unique<PinLease>(*this, reason, ++pin_serial_);
  ctx_.metrics->pins[static_cast<std::size_t>(reason)].add();
  if (backend::LinkPtr link = ctx_.pinned->try_lease(protocol_)) {
    if (db_ != 0) ctx_.pinned->select_database(*link, db_);
    pin_->set_link(std::move(link));  // a tracking lease takes the link's pushes from here
    return true;
  }
  pin_->set_waiting();
  ctx_.pinned->wait(*pin_, protocol_);
  return hold_at_lane_barrier();
}

void ClientSession::end_pin() {
  if (pin_ == nullptr) return;
  if (pin_->waiting()) ctx_.pinned->cancel_wait(*pin_);
  if (pin_->active()) {
    ctx_.pinned->release(pin_->link_ptr(), pin_->reusable());
    ctx_.metrics->pin_duration_ms.add(
        static_cast<std::uint64_t>(common::coarse_now_ms() - pin_->since()));
    ctx_.metrics->pins_ended.add();
  }
  pin_.reset();
}

// Resumes parsing held requests from a posted handler (never inside a link's reply loop or the
// pool's waiter loop); gives the pin back first if its work is done.
void ClientSession::resume_held() {
  ++pending_ops_;
  asio::post(ctx_.io, [this] {
    --pending_ops_;
    if (!closed_) {
      if (pin_ != nullptr && pin_->wants_release() && lanes_.in_flight() == 0) end_pin();
      if (lane_hold_ && !(pin_ != nullptr && pin_->waiting())) {
        lane_hold_ = false;
        maybe_resume_reading();
      }
    }
    maybe_destroy();
  });
}

}  // namespace funnel::client
