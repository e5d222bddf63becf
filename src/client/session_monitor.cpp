// ClientSession's MONITOR lines: a pinned link of the client's own (PinReason::kMonitor, so
// bounded by backend.max_pinned) has sent MONITOR, and every line Redis writes back goes to the
// client, between whole replies and under the client's output limits. What the client's other
// requests do meanwhile is the planner's (plan/monitor_rule.hpp). RESET, QUIT and disconnecting
// end it; the link is then closed, never reused (see pin_lease.hpp).
#include <spdlog/spdlog.h>

#include "client/client_session.hpp"
#include "client/pin_lease.hpp"

namespace funnel::client {

// A line from the monitor link (called inside the link's reply loop). Lines are whole simple
// strings, appended between whole replies. A client that does not read is closed at the hard
// output limit: its lines are dropped meanwhile, so neither the link nor the client grows.
// An empty `line` only sends the lines held back (session_stream.cpp, after a streamed reply).
void ClientSession::monitor_line(std::string_view line) {
  if (closed_ || rare_->pin == nullptr || !state_.monitoring || rare_->pin->overflowed()) return;
  const std::size_t pending = unsent_bytes() + rare_->pin->held_bytes() + line.size();
  if (pending > ctx_.config.limits.client_output_hard_bytes) {
    rare_->pin->set_overflowed();
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
    rare_->pin->hold_line(line);  // a large reply is going out in parts: after it, not inside it
    return;
  }
  std::string& out = io().out;
  const std::size_t capacity_before = out.capacity();
  if (capacity_before <= 15) out = ctx_.buffers.acquire();
  if (rare_->pin->held_bytes() != 0) [[unlikely]]
    out.append(rare_->pin->take_held_lines());
  out.append(line);
  track_buffer(capacity_before <= 15 ? 0 : capacity_before, out);
  if (!closed_) schedule_flush();
}

}  // namespace funnel::client
