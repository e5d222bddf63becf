// monitoring_action: Redis 7.0's processCommand for a client flagged CLIENT_SLAVE|CLIENT_MONITOR;
// plan_monitoring: the planner's rules for a client whose MONITOR has been sent.
#include "plan/monitor_rule.hpp"

#include <algorithm>
#include <array>

#include "plan/planner_rules.hpp"

namespace funnel::plan {
namespace {

using command::LocalCommand;
using command::Route;

// Redis 7.0's CMD_MAY_REPLICATE commands that are neither reads nor writes. COMMAND hides the
// flag on purpose (server.c), so the table loaded from the backend cannot say it.
constexpr std::array<std::string_view, 5> kMayReplicate = {"eval", "evalsha", "fcall", "publish",
                                                           "spublish"};

constexpr std::string_view kNotWhileMonitoring =
    "ERR funnel: MULTI, WATCH and CLIENT TRACKING are not supported through Funnel while this "
    "connection runs MONITOR; send RESET first";

bool may_replicate(const command::CommandSpec& spec) {
  return spec.has(command::Flag::kMayReplicate) ||
         std::ranges::find(kMayReplicate, std::string_view(spec.name)) != kMayReplicate.end();
}

// MONITOR's own reply must reach the client before the pin ends (RESET answers after it).
bool monitor_reply_in_flight(const SessionState& state) {
  return state.lanes.in_flight() != 0 && state.lanes.current().is_pinned();
}

}  // namespace

MonitorAction monitoring_action(const command::Classification& cls) {
  if (cls.local == LocalCommand::kReset) return MonitorAction::kEnd;
  if (cls.local == LocalCommand::kMonitor) return MonitorAction::kIgnore;
  if (cls.spec == nullptr) return MonitorAction::kServe;
  using command::Flag;
  if (cls.spec->has(Flag::kReadonly) || cls.spec->has(Flag::kWrite) || may_replicate(*cls.spec)) {
    return MonitorAction::kRefuse;
  }
  return MonitorAction::kServe;
}

Plan plan_monitoring(const SessionState& state, const command::Classification& cls,
                     const resp::Request& request, const Context& context) {
  const MonitorAction action =
      cls.route == Route::kReject ? MonitorAction::kServe : monitoring_action(cls);
  // The backend refused MONITOR (or its link failed: pin_done), or RESET: give the link back
  // (it is closed, not reused), then plan the request as any client's.
  if (state.pin_done || action == MonitorAction::kEnd) {
    if (monitor_reply_in_flight(state)) return Plan::simple(Action::kHold);
    return Plan::simple(Action::kRelease);
  }
  if (cls.route == Route::kReject) return Plan::error(cls.error);
  bool denied = false;
  if (const std::string_view text = refusal(state, cls, request, context, denied); !text.empty()) {
    return refused(text, denied);  // NOPERM first, as in Redis
  }
  if (action == MonitorAction::kIgnore) return Plan::reply({});  // no reply at all
  if (action == MonitorAction::kRefuse) return Plan::error(kMonitorRefusal);
  // Their state would need the mode a monitor's pin holds.
  if (cls.local == LocalCommand::kMulti || wants_pin(cls)) return Plan::error(kNotWhileMonitoring);
  switch (cls.route) {
    case Route::kForward:
      if (state.lanes.must_wait(state.shared_lane())) return Plan::simple(Action::kHold);
      return plan_forward(state, cls, request, context);
    case Route::kLocal:
      return plan_local(state, cls, request, context);
    default:
      return Plan::error(cls.error);
  }
}

}  // namespace funnel::plan
