// ClientSession's MONITOR: a pinned link of the client's own (PinReason::kMonitor, so bounded by
// backend.max_pinned) sends MONITOR and streams every line Redis writes back to the client,
// between whole replies and under the client's output limits. Meanwhile the client's requests
// are served as Redis serves a monitoring client (monitor_mode.hpp), on shared links. RESET,
// QUIT and disconnecting end it; the link is then closed, never reused (see pin_lease.hpp).
#include <spdlog/spdlog.h>

#include "client/client_session.hpp"
#include "client/monitor_mode.hpp"
#include "client/pin_lease.hpp"
#include "client/transaction.hpp"

namespace funnel::client {

// A request from a client whose MONITOR has been sent. Returns false if it must wait.
bool ClientSession::handle_monitoring(const resp::Request& request) {
  const command::Classification& cls = ctx_.classification;
  if (pin_->wants_release()) {  // the backend refused MONITOR (or its link failed): not monitoring
    end_pin();
    return handle_request(request);
  }
  const MonitorAction action =
      cls.route == command::Route::kReject ? MonitorAction::kServe : monitoring_action(cls);
  switch (action) {
    case MonitorAction::kServe:
      return handle_unpinned(request);
    case MonitorAction::kEnd:
      // After MONITOR's own reply (RESET must answer after it), then as for any client.
      if (lanes_.in_flight() != 0 && lanes_.current().is_pinned()) return hold_at_lane_barrier();
      end_pin();
      return handle_unpinned(request);
    case MonitorAction::kIgnore:
    case MonitorAction::kRefuse:
      break;
  }
  const std::uint64_t seq = open_slot();
  if (!admitted(request, seq)) {  // NOPERM first, as in Redis
    if (tx_ != nullptr) tx_->flag_error();
    return true;
  }
  if (action == MonitorAction::kIgnore) {
    answer_local(seq, {});  // Redis ignores a second MONITOR without a reply
  } else {
    if (tx_ != nullptr) tx_->flag_error();  // as Redis's rejectCommand: EXEC will abort
    answer_error(seq, kMonitorRefusal);
  }
  return true;
}

// A line from the monitor link (called inside the link's reply loop). Lines are whole simple
// strings, appended between whole replies. A client that does not read is closed at the hard
// output limit: its lines are dropped meanwhile, so neither the link nor the client grows.
// An empty `line` only sends the lines held back (session_stream.cpp, after a streamed reply).
void ClientSession::monitor_line(std::string_view line) {
  if (closed_ || pin_ == nullptr || !pin_->monitoring() || pin_->overflowed()) return;
  const std::size_t pending = unsent_bytes() + pin_->held_bytes() + line.size();
  if (pending > ctx_.config.limits.client_output_hard_bytes) {
    pin_->set_overflowed();
    spdlog::warn(
        "client {} ({}) not reading its MONITOR lines: over limits.client_output_hard_bytes; "
        "closing it",
        id_, peer_address());
    // Not here: closing ends the lease, which closes the link whose reply loop is running.
    post_step([this] {
      if (!closed_) close(metrics::CloseReason::kOutputLimit);
    });
    return;
  }
  if (replies_.head_partial()) [[unlikely]] {
    pin_->hold_line(line);  // a large reply is going out in parts: after it, not inside it
    return;
  }
  const std::size_t capacity_before = out_.capacity();
  if (capacity_before <= 15) out_ = ctx_.buffers.acquire();
  if (pin_->held_bytes() != 0) [[unlikely]]
    out_.append(pin_->take_held_lines());
  out_.append(line);
  track_buffer(capacity_before <= 15 ? 0 : capacity_before, out_);
  if (!closed_) schedule_flush();
}

}  // namespace funnel::client
