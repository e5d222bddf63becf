// ClientSession under a CLIENT PAUSE (routing/pause_gate.hpp): the pause a client sends is
// recorded process-wide as it leaves; a request the planner holds for a pause (HoldFor::kPause)
// waits, unconsumed like one at the lane barrier, until the pause ends.
#include "client/client_session.hpp"
#include "routing/pause_gate.hpp"

namespace funnel::client {

// Recorded as it is sent, so that writes are held from now on, on every worker: a write that
// reached Redis after the pause would stall its whole shared link. UNPAUSE frees this worker's
// held clients at once; the other workers' on their next tick.
void ClientSession::record_pause(const resp::Request& request, plan::ClientSub sub) {
  routing::PauseGate& gate = *ctx_.pause_gate;
  const common::Millis now = common::coarse_now_ms();
  if (sub == plan::ClientSub::kPause) {
    if (const auto pause = routing::parse_pause(request)) gate.pause(*pause, now);
  } else {
    gate.unpause(now);
    ctx_.writes_paused = gate.holds_writes();
    if (!ctx_.writes_paused && !ctx_.pause_waiters.empty()) resume_pause_waiters(ctx_);
  }
}

bool ClientSession::hold_for_pause() {
  if (!pause_held_) {
    pause_held_ = true;
    ctx_.pause_gate->add_held(1);  // INFO's blocked_clients counts it, as Redis would
    ctx_.pause_waiters.push_back(handle_);
  }
  // A FUNNEL PAUSE extended or begun anew while held: the latest one decides the request's fate.
  const std::uint64_t hold_all_id = ctx_.holding_all ? ctx_.pause_gate->hold_all_id() : 0;
  if (hold_all_id != rare_->hold_all_id) rare().hold_all_id = hold_all_id;
  return hold_at_lane_barrier();
}

void ClientSession::end_pause_hold() {
  if (!pause_held_) return;
  pause_held_ = false;
  ctx_.pause_gate->add_held(-1);
  // Ended by its timeout, not by FUNNEL RESUME: the held request fails (its deadline was the
  // pause's timeout); the requests after it are planned as usual.
  if (rare_->hold_all_id != 0 &&
      ctx_.pause_gate->hold_all_timed_out(rare_->hold_all_id, common::coarse_now_ms())) {
    pause_expired_ = true;
  }
  if (rare_->hold_all_id != 0) rare().hold_all_id = 0;
  resume_held();  // planned again: held again if another pause is in force
}

bool ClientSession::fail_after_pause() {
  pause_expired_ = false;
  if (state_.mode == plan::Mode::kQueuing) end_transaction();  // its EXEC failed: discarded
  answer_error(open_slot(),
               "ERR funnel: paused by FUNNEL PAUSE, which timed out before FUNNEL RESUME; this "
               "request was not sent to Redis: retry it");
  return true;
}

void resume_pause_waiters(SessionContext& ctx) {
  ctx.registry.take_each(ctx.pause_waiters,
                         [](ClientSession& session) { session.end_pause_hold(); });
}

}  // namespace funnel::client
