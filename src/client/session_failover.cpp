// ClientSession while the primary fails over (routing/failover_hold.hpp,
// docs/topology.md#failover): a request the planner holds for it (HoldFor::kFailover) waits
// unconsumed, like one at the lane barrier, so the client's later requests wait behind it in its
// own order and its bytes stay counted in the client's and the process's buffer budgets. The
// worker's tick (and each new snapshot) lets it go on once the new primary is confirmed, or fails
// it at its hold deadline.
#include "client/client_session.hpp"
#include "routing/failover_hold.hpp"

namespace funnel::client {

bool ClientSession::hold_for_failover() {
  const common::Millis now = common::coarse_now_ms();
  if (rare_->failover_deadline == 0) {
    const routing::HoldSettings settings{ctx_.failover_gate->hold_ms(),
                                         ctx_.config.backend.request_timeout_ms};
    rare().failover_deadline = routing::hold_deadline(settings, now);
  }
  // Read together with a request whose hold already ran out: it fails now, never sent.
  if (now >= rare_->failover_deadline) return fail_after_failover();
  if (!failover_held_) {
    failover_held_ = true;
    ctx_.failover_gate->add_held(1);
    ctx_.failover_waiters.push_back(handle_);
  }
  return hold_at_lane_barrier();
}

bool ClientSession::check_failover_hold(bool failover_over, common::Millis now) {
  if (!failover_held_) return false;
  if (failover_over) {
    end_failover_hold(false);
    return false;
  }
  if (now < rare_->failover_deadline) {
    ctx_.failover_waiters.push_back(handle_);  // (check_failover_waiters took the list)
    return true;
  }
  end_failover_hold(true);
  return false;
}

void ClientSession::end_failover_hold(bool expired) {
  if (!failover_held_) return;
  failover_held_ = false;
  ctx_.failover_gate->add_held(-1);
  if (expired) {
    failover_expired_ = true;  // handle_request answers the held request with the error
  } else {
    rare().failover_deadline = 0;
  }
  resume_held();  // planned again: held again if another failover holds it
}

bool ClientSession::fail_after_failover() {
  failover_expired_ = false;
  ctx_.failover_gate->add_expired();
  if (state_.mode == plan::Mode::kQueuing) end_transaction();  // its EXEC failed: discarded
  answer_error(open_slot(), routing::kFailoverTimedOut);
  return true;
}

void check_failover_waiters(SessionContext& ctx, bool failover_over, common::Millis now) {
  ctx.registry.take_each(ctx.failover_waiters, [&](ClientSession& session) {
    session.check_failover_hold(failover_over, now);
  });
}

}  // namespace funnel::client
