// ClientSession's lane barrier (see lane.hpp): a request for another backend link than the one
// carrying the client's in-flight requests waits, unconsumed, until they are all answered.
#include <boost/asio/post.hpp>

#include "client/client_session.hpp"
#include "client/transaction.hpp"

namespace funnel::client {

// Called only while requests are in flight. Inside a Funnel-held MULTI nothing is sent until
// EXEC, so only EXEC's block can need the barrier.
bool ClientSession::needs_lane_change(const command::Classification& cls) const {
  if (tx_ != nullptr) {
    return cls.local == command::LocalCommand::kExec && lanes_.must_wait(forward_lane());
  }
  if (cls.route == command::Route::kForward) return lanes_.must_wait(forward_lane());
  return false;
}

bool ClientSession::hold_at_lane_barrier() {
  lane_hold_ = true;
  reading_paused_ = true;  // the held request's bytes stay in in_; nothing more is read
  ctx_.metrics->pressure(metrics::Backpressure::kLaneBarrier);
  return false;
}

// A backend reply for this client arrived. When it was the last in flight and a request waits at
// the barrier, parsing resumes from a posted handler: never inside the link's reply loop.
void ClientSession::on_backend_answered() {
  if (!lanes_.answered() || !lane_hold_) return;
  ++pending_ops_;
  asio::post(ctx_.io, [this] {
    --pending_ops_;
    if (!closed_ && lane_hold_) {
      lane_hold_ = false;
      maybe_resume_reading();
    }
    maybe_destroy();
  });
}

}  // namespace funnel::client
