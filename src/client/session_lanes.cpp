// ClientSession's lane barrier (see plan/lane.hpp): a request the planner holds (for another
// backend link than the one carrying the client's in-flight requests, or for a lease) waits,
// unconsumed, until they are all answered.
#include <sys/socket.h>

#include <cerrno>

#include "client/client_session.hpp"
#include "client/pin_lease.hpp"
#include "client/transaction.hpp"

namespace funnel::client {

bool ClientSession::hold_at_lane_barrier() {
  lane_hold_ = true;
  reading_paused_ = true;  // the held request's bytes stay in io's input; nothing more is read
  ctx_.metrics->pressure(metrics::Backpressure::kLaneBarrier);
  // Held behind a pinned link (a blocked BLPOP): still notice the client leaving, so the link is
  // closed and its lease freed now rather than when the command returns, maybe never.
  if (rare_->pin != nullptr && !read_waiting_ && !closed_) {
    wait_read_slot(ReadThen::kHangupCheck, false);
  }
  return false;
}

// Readiness while reading is paused: EOF or an error closes the session; more requests waiting
// in the socket are left there until the barrier lifts (no re-arm, so no busy loop).
void ClientSession::on_hangup_check() {
  if (!reading_paused_) return on_readable();  // resumed meanwhile: an ordinary read
  char byte = 0;
  const ssize_t n = ::recv(transport_.fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return;  // requests, not a hang-up: they wait in the socket
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    input_ready_ = false;  // an edge already consumed: wait for the next one
    return wait_read_slot(ReadThen::kHangupCheck, false);
  }
  close();
}

// A backend reply for this client arrived. When it was the last in flight, a request held at the
// barrier may go and a finished pin is given back (resume_held, from a posted handler).
void ClientSession::on_backend_answered() {
  if (!state_.lanes.answered()) return;
  if (lane_hold_ || (state_.holds_pin() && state_.pin_done)) resume_held();
}

}  // namespace funnel::client
