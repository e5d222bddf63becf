// Private to the planner: the rules of each mode, split over planner.cpp (ordinary requests,
// the held MULTI, refusals) and planner_pinned.cpp (leasing, the pinned link).
#pragma once

#include "plan/planner.hpp"

namespace funnel::plan {

// Ordinary requests (Mode::kNormal) that need a pinned link: refused, answered, held or leased.
Plan plan_lease(const SessionState& state, const command::Classification& cls,
                const resp::Request& request, const Context& context);
// Mode::kPinned.
Plan plan_pinned(const SessionState& state, const command::Classification& cls,
                 const resp::Request& request, const Context& context);
// A command Funnel answers itself, after the refusals (any mode but the held MULTI).
Plan plan_local(const SessionState& state, const command::Classification& cls,
                const resp::Request& request, const Context& context);
// An ordinary forwarded request (shared link, read route or fan-out), after the refusals.
Plan plan_forward(const SessionState& state, const command::Classification& cls,
                  const resp::Request& request, const Context& context);
// Mode::kPinned once MONITOR is sent (monitor_rule.cpp).
Plan plan_monitoring(const SessionState& state, const command::Classification& cls,
                     const resp::Request& request, const Context& context);
// CLIENT <subcommand>, answered by Funnel.
Plan plan_client(const SessionState& state, const resp::Request& request, const Context& context);

// BLPOP & co, WATCH and CLIENT TRACKING hold state on the backend connection.
bool wants_pin(const command::Classification& cls);
bool is_client_tracking(const command::Classification& cls);
// The refusal as an error plan (NOPERM ones are counted by the session).
Plan refused(std::string_view text, bool permission_denied, std::uint16_t effects = 0);

// Cluster mode: the request's keys are in more than one slot (slot_rules.hpp).
bool crosses_slots(const command::Classification& cls, const resp::Request& request);

inline constexpr std::string_view kOk = "+OK\r\n";

}  // namespace funnel::plan
