// ClientSession's pinned link: leasing one for WATCH … EXEC or a blocking command, forwarding on
// it, and giving it back (see pin_lease.hpp and backend/pinned_pool.hpp).
#include <limits>
#include <tuple>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include "client/blocking_timeout.hpp"
#include "client/client_session.hpp"
#include "client/pin_lease.hpp"
#include "client/subscriptions.hpp"
#include "client/transaction.hpp"

namespace funnel::client {
namespace {
static_assert(std::tuple_size_v<decltype(metrics::WorkerMetrics::pins)> ==
                  static_cast<std::size_t>(PinReason::kCount),
              "one funnel_pins_total counter per PinReason");

}  // namespace

PinLease::~PinLease() {
  set_link(nullptr);
  if (counted_ != nullptr) security::leave_pin(*counted_);
  if (turn_ticket) session_.ctx_.blocking_order->done(turn_ticket);
}

void resume_turn_waiters(SessionContext& ctx) {
  ctx.registry.take_each(ctx.turn_waiters, [](ClientSession& session) { session.retry_turn(); });
}

// The link must also be settled: connected, and with nothing of its own unanswered (a reused
// link's RESET and HELLO, SELECT). Redis reads its ready connections in the order they became
// readable; a link whose earlier bytes Redis has not read yet is already in that queue, ahead of
// links written to before this one.
bool ClientSession::blocking_turn() {
  if (rare_->pin == nullptr || !rare_->pin->active()) return true;  // the plan answers it
  BlockingOrder& order = *ctx_.blocking_order;
  if (!rare_->pin->turn_ticket)
    rare_->pin->turn_ticket = order.take(ctx_.worker_index, ctx_.batch_ns);
  const backend::BackendLink& link = rare_->pin->link();
  using State = backend::BackendLink::State;
  const bool unsettled = link.state() == State::kConnecting ||
                         link.state() == State::kHandshaking ||
                         (link.state() == State::kReady && link.in_flight() != 0);
  const common::Millis now = common::coarse_now_ms();
  if (rare_->pin->turn_since == 0) rare_->pin->turn_since = now;
  if (BlockingOrder::waited_enough(rare_->pin->turn_since, now)) return true;  // whatever is ahead
  if (!unsettled && order.is_turn(rare_->pin->turn_ticket)) return true;
  ctx_.turn_waiters.push_back(handle_);
  return false;
}

// Closes the ticket once the request's bytes have left: a posted handler runs after the link's
// flush (posted by the submit before it) or the write batch that took them.
void ClientSession::end_blocking_turn() {
  if (rare_->pin == nullptr || !rare_->pin->turn_ticket) return;
  asio::post(ctx_.io, [order = ctx_.blocking_order, ticket = rare_->pin->turn_ticket] {
    order->done(ticket);
  });
  rare_->pin->turn_ticket = Ticket{};
  rare_->pin->turn_since = 0;
}

void PinLease::on_lease(backend::LinkPtr link) {
  set_link(std::move(link));
  waiting_ = false;
  session_.state_.mode = plan::Mode::kPinned;
  if (session_.state_.db != 0) pool_.select_database(*link_, session_.state_.db);
  session_.resume_held();
}

void PinLease::on_lease_refused(std::string_view error) {
  error_ = error;
  waiting_ = false;
  session_.state_.mode = plan::Mode::kLeaseRefused;  // the held request gets the error
  session_.state_.lease_error = &error_;
  session_.resume_held();
}

void PinLease::on_push(backend::BackendLink&, std::string_view reply, resp::ReplyKind kind) {
  if (reason_ == PinReason::kMonitor) return session_.monitor_line(reply);
  if (kind == resp::ReplyKind::kPush) session_.tracking_push(reply);
}

void PinLease::on_session_lost(backend::BackendLink& link) {
  if (&link == link_.get()) session_.backend_state_lost();
}

// A tracking client's link lost the backend session that tracked its keys (Redis restarted, or
// the primary moved and the link was retired): the invalidations of the keys it cached would
// never come, and a client cannot tell. Closed, as a direct connection to Redis would be, so its
// library flushes its cache and enables tracking again on reconnect (docs/compatibility.md). A
// MONITOR client likewise: its stream would stop silently. Posted: this runs inside the link's
// failure path, and closing ends the lease.
void ClientSession::backend_state_lost() {
  post_step([this] {
    if (closed_) return;
    spdlog::info(
        "client {} ({}): its {} link lost the backend session; closing it so it reconnects", id_,
        peer_address(), state_.monitoring ? "MONITOR" : "tracking");
    close(metrics::CloseReason::kBackendStateLost);
  });
}

// An invalidation push from the tracking lease's link: between whole replies, as Redis sends it.
void ClientSession::tracking_push(std::string_view push_bytes) {
  if (closed_) return;
  std::string& out = io().out;
  const std::size_t capacity_before = out.capacity();
  if (capacity_before <= 15) out = ctx_.buffers.acquire();
  append_push(out, state_.protocol, push_bytes);
  track_buffer(capacity_before <= 15 ? 0 : capacity_before, out);
  if (!closed_) schedule_flush();
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

// The plan's effects on the pinned link's state (plan.hpp), before the request is forwarded.
void ClientSession::apply_pin_effects(const plan::Plan& p) {
  if (p.has(plan::effect::kEnterPinnedMulti)) state_.pin_in_multi = true;
  if (p.has(plan::effect::kLeavePinnedMulti)) state_.pin_in_multi = false;
  if (p.has(plan::effect::kReleaseWhenIdle)) state_.pin_done = true;
}

// Leases a link now (mode kPinned), or starts waiting for one (kLeaseWaiting: the request is
// planned again, and held).
void ClientSession::begin_pin(PinReason reason) {
  state_.pin_reason = reason;
  state_.pin_in_multi = false;
  state_.pin_done = false;
  // Cluster mode: the pool of the shard that owns the request's key (WATCH's, a blocking
  // command's); keyless (MONITOR, tracking) and outside cluster mode: the main node's.
  backend::PinnedPool& pool = *ctx_.pinned_for_slot(ctx_.request_slot);
  rare().pin = std::make_unique<PinLease>(*this, pool, reason, ++state_.pin_serial);
  if (state_.user != nullptr && !count_pin(*state_.user)) return;
  ctx_.metrics->pins[static_cast<std::size_t>(reason)].add();
  if (backend::LinkPtr link = pool.try_lease(state_.protocol)) {
    if (state_.db != 0) pool.select_database(*link, state_.db);
    rare_->pin->set_link(std::move(link));  // a tracking lease takes the link's pushes from here
    state_.mode = plan::Mode::kPinned;
    return;
  }
  rare_->pin->set_waiting();
  state_.mode = plan::Mode::kLeaseWaiting;  // before wait(): it may answer at once
  pool.wait(*rare_->pin, state_.protocol);
}

// The user's max_pinned (security/user_limits.hpp): false when its clients hold that many
// pinned links already; the request that would pin is then answered the limit's error (the plan's
// kLeaseRefused), and nothing of anyone's is touched.
bool ClientSession::count_pin(const security::User& user) {
  if (security::enter_pin(user.counters(), user.limits().max_pinned)) {
    rare_->pin->count_for(user.shared_counters());
    return true;
  }
  rare_->pin->refuse(security::user_pinned_error(user.name(), user.limits().max_pinned));
  state_.mode = plan::Mode::kLeaseRefused;
  state_.lease_error = &rare_->pin->error();
  return false;
}

void ClientSession::end_pin() {
  if (rare_->pin == nullptr) return;
  if (rare_->pin->waiting()) rare_->pin->pool().cancel_wait(*rare_->pin);
  if (rare_->pin->active()) {
    rare_->pin->pool().release(rare_->pin->link_ptr(), rare_->pin->reusable());
    ctx_.metrics->pin_duration_ms.add(
        static_cast<std::uint64_t>(common::coarse_now_ms() - rare_->pin->since()));
    ctx_.metrics->pins_ended.add();
  }
  rare().pin.reset();
  state_.mode = plan::Mode::kNormal;
  state_.pin_in_multi = false;
  state_.pin_done = false;
  state_.monitoring = false;
  state_.lease_error = nullptr;
}

// Only WATCH's and a blocking command's links: their state is Funnel's to rebuild (a lost WATCH
// is Redis's nil EXEC; a blocking command leases anew). A tracking or MONITOR link's loss still
// reaches its client as the link's error.
bool ClientSession::pin_lost() const {
  if (rare_->pin == nullptr || !rare_->pin->active() || state_.monitoring) return false;
  if (state_.pin_reason != PinReason::kWatch && state_.pin_reason != PinReason::kBlocking) {
    return false;
  }
  return !rare_->pin->link().accepting();
}

// As a Redis client whose connection dropped loses its WATCH and its MULTI, but the client's own
// connection stays: the WATCH is marked lost (the next EXEC answers nil, as when a watched key
// changed, which WATCH users retry on), and a MULTI queued on the link goes on as one Funnel
// holds, which that EXEC answers nil too (EXECABORT without a WATCH). Nothing of it runs.
void ClientSession::drop_lost_pin() {
  const bool watched = state_.pin_reason == PinReason::kWatch;
  const bool in_multi = state_.pin_in_multi;
  end_pin();  // the link is closed, never handed on (release() checks its state)
  state_.watch_lost = watched;
  if (!in_multi) return;
  open_transaction();
  if (!watched) rare_->tx->flag_error();  // no WATCH to fail: EXEC answers EXECABORT
}

// Resumes parsing held requests from a posted handler (never inside a link's reply loop or the
// pool's waiter loop); gives the pin back first if its work is done.
void ClientSession::resume_held() {
  ++pending_ops_;
  asio::post(ctx_.io, [this] {
    --pending_ops_;
    if (!closed_) {
      if (state_.holds_pin() && state_.pin_done && state_.lanes.in_flight() == 0) end_pin();
      if (lane_hold_ && state_.mode != plan::Mode::kLeaseWaiting) {
        lane_hold_ = false;
        maybe_resume_reading();
      }
    }
    maybe_destroy();
  });
}

}  // namespace funnel::client
