// The planner's rules for pinned links: when an ordinary request leases one (WATCH, a blocking
// command, CLIENT TRACKING), and what each request does while the client holds one (OnPin).
#include "command/ascii.hpp"
#include "plan/planner_rules.hpp"
#include "plan/slot_rules.hpp"

namespace funnel::plan {
namespace {

using command::LocalCommand;
using command::Route;

constexpr std::string_view kTrackingNeedsResp3 =
    "ERR funnel: CLIENT TRACKING through Funnel needs RESP3 (HELLO 3): in RESP2 invalidations go "
    "to another connection (REDIRECT), which cannot work through a proxy";
constexpr std::string_view kTrackingRedirect =
    "ERR funnel: CLIENT TRACKING REDIRECT is not supported through Funnel (the id would name a "
    "backend connection); use RESP3 pushes on this connection";
constexpr std::string_view kTrackingOnOtherPin =
    "ERR funnel: CLIENT TRACKING cannot start on a connection that holds a dedicated backend "
    "connection for WATCH or a blocking command; send it first";
constexpr std::string_view kMonitorOnOtherPin =
    "ERR funnel: MONITOR cannot start on a connection that holds a dedicated backend connection "
    "for WATCH, a blocking command or tracking; send it first";
constexpr std::string_view kHelloKeepsProtocol =
    "ERR funnel: HELLO cannot change the protocol while this connection holds a dedicated backend "
    "connection (after WATCH or during a blocking command); send UNWATCH, EXEC or DISCARD first";

// WAIT and WAITAOF count the calling connection's writes: truthful only on the client's own link.
bool counts_own_writes(const command::Classification& cls) {
  return cls.spec != nullptr && (cls.spec->name == "wait" || cls.spec->name == "waitaof");
}

// CLIENT TRACKING from a client that holds no link yet: OFF when not tracking is Redis's +OK;
// RESP2 clients and REDIRECT cannot work through a proxy (invalidations would go to a backend
// connection id, not to the client). False when ON needs the lease.
bool tracking_without_pin(const SessionState& state, const resp::Request& request, Plan& plan) {
  if (state.protocol != resp::Protocol::kResp3) {
    plan = Plan::error(kTrackingNeedsResp3);
    return true;
  }
  for (std::size_t i = 3; i < request.argc(); ++i) {
    if (command::iequals(request.arg(i), "REDIRECT")) {
      plan = Plan::error(kTrackingRedirect);
      return true;
    }
  }
  if (request.argc() >= 3 && command::iequals(request.arg(2), "on")) return false;
  plan = Plan::reply(kOk);  // OFF (or a syntax error Redis would report) unpinned
  return true;
}

Plan forward_on_pin(const SessionState& state, std::uint16_t effects = 0) {
  return Plan::forward(Target::kPinned, Lane::pinned(state.pin_serial), effect::kNoRetry | effects);
}

// CLIENT on a pinned link: the client-side caching family runs on the link itself (its tracking
// state lives there); everything else is Funnel's, as for any client.
Plan plan_client_pinned(const SessionState& state, const resp::Request& request,
                        const Context& context) {
  switch (client_sub_rule(request.arg(1)).on_pin) {
    case ClientOnPin::kLocal:
      return plan_client(state, request, context);
    case ClientOnPin::kForward:
      return forward_on_pin(state);
    case ClientOnPin::kTracking:
      break;
  }
  if (state.pin_reason != PinReason::kTracking) return Plan::error(kTrackingOnOtherPin);
  // Tracking ends only on OFF (any spelling, as Redis); a syntax error leaves it as it was.
  const bool off = request.argc() >= 3 && command::iequals(request.arg(2), "off");
  return forward_on_pin(state, off ? effect::kReleaseWhenIdle : 0);
}

// Commands Funnel answers for unpinned clients, on a pinned link: the transaction commands run
// on the link itself (WATCH's state lives there); inside a MULTI on the link, PING and ECHO are
// queued there too, so EXEC's array is Redis's own.
Plan plan_pinned_local(const SessionState& state, const command::Classification& cls,
                       const resp::Request& request, const Context& context) {
  switch (local_rule(cls.local).on_pin) {
    case OnPin::kLocal:
      return plan_local(state, cls, request, context);  // RESET ends the pin
    case OnPin::kForward:
      return forward_on_pin(state);
    case OnPin::kEnterMulti:
      return forward_on_pin(state, effect::kEnterPinnedMulti);
    case OnPin::kLeaveMulti:
      return forward_on_pin(
          state, effect::kLeavePinnedMulti |
                     (state.pin_reason == PinReason::kWatch ? effect::kReleaseWhenIdle : 0));
    case OnPin::kLocalOrQueued:
      if (state.pin_in_multi) return forward_on_pin(state);
      return Plan::local_command(cls.local);
    case OnPin::kSameProtocol:
      // The pinned link speaks the protocol it was leased with until the pin ends.
      if (request.argc() >= 2 &&
          (request.arg(1) == "3") != (state.protocol == resp::Protocol::kResp3)) {
        return Plan::error(kHelloKeepsProtocol);
      }
      return Plan::local_command(cls.local);
    case OnPin::kSelect: {
      // The pinned link must follow: SELECT runs on it (its reply is the client's).
      Plan p = forward_on_pin(state, effect::kSelectFirst);
      p.local = LocalCommand::kSelect;
      return p;
    }
    case OnPin::kMonitor:
      if (state.pin_reason != PinReason::kMonitor) return Plan::error(kMonitorOnOtherPin);
      return forward_on_pin(state, effect::kStartMonitor);
    case OnPin::kClient:
      break;
  }
  return plan_client_pinned(state, request, context);
}

}  // namespace

bool is_client_tracking(const command::Classification& cls) {
  return cls.local == LocalCommand::kClient && cls.spec != nullptr &&
         cls.spec->name == "client|tracking";
}

bool wants_pin(const command::Classification& cls) {
  return cls.blocking || cls.local == LocalCommand::kWatch || cls.local == LocalCommand::kMonitor ||
         is_client_tracking(cls);
}

// A client that may run the request (the caller checked) and holds no link.
Plan plan_lease(const SessionState& state, const command::Classification& cls,
                const resp::Request& request, const Context& context) {
  if (!context.pinned_enabled) {
    std::string name = cls.spec != nullptr ? cls.spec->name : std::string("WATCH");
    for (char& c : name) c = command::ascii_upper(c);
    *context.scratch = command::unsupported_error(
        name, "it needs a dedicated backend connection and backend.max_pinned = 0");
    return Plan::error(*context.scratch);
  }
  Plan answered;
  if (is_client_tracking(cls) && tracking_without_pin(state, request, answered)) return answered;
  if (state.lanes.in_flight() != 0) return Plan::simple(Action::kHold);  // after earlier replies
  return Plan::lease(cls.blocking                          ? PinReason::kBlocking
                     : is_client_tracking(cls)             ? PinReason::kTracking
                     : cls.local == LocalCommand::kMonitor ? PinReason::kMonitor
                                                           : PinReason::kWatch);
}

Plan plan_pinned(const SessionState& state, const command::Classification& cls,
                 const resp::Request& request, const Context& context) {
  if (state.monitoring) return plan_monitoring(state, cls, request, context);
  if (state.pin_done || cls.local == LocalCommand::kReset) {
    // The pin's work is done (or RESET will end it): give the link back once it is idle, then
    // serve this request like any other. As in Redis, RESET runs after the blocked command.
    if (state.lanes.in_flight() != 0) return Plan::simple(Action::kHold);
    if (cls.local != LocalCommand::kReset) return Plan::simple(Action::kRelease);
  }
  if (state.lanes.must_wait(Lane::pinned(state.pin_serial))) return Plan::simple(Action::kHold);
  if (cls.route == Route::kReject) return Plan::error(cls.error);
  bool denied = false;
  if (const std::string_view text = refusal(state, cls, request, context, denied); !text.empty()) {
    return refused(text, denied);  // NOPERM (and the rest) hold on a pinned link too
  }
  // On a pinned link nothing is split: keys across slots get Redis's CROSSSLOT.
  if (context.cluster && crosses_slots(cls, request)) return Plan::error(kCrossSlot);
  switch (cls.route) {
    case Route::kForward:
      return forward_on_pin(state, cls.out_of_band ? effect::kOutOfBand : 0);
    case Route::kLocal:
      return plan_pinned_local(state, cls, request, context);
    default:
      break;
  }
  if (cls.blocking) {
    return forward_on_pin(
        state, effect::kBlockingDeadline |
                   (state.pin_reason == PinReason::kBlocking ? effect::kReleaseWhenIdle : 0));
  }
  if (counts_own_writes(cls)) return forward_on_pin(state);
  return Plan::error(cls.error);
}

}  // namespace funnel::plan
