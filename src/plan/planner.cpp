// The planner's rules for ordinary requests, the Funnel-held MULTI and the refusal order (see
// planner.hpp for the order). The pinned link's rules are in planner_pinned.cpp.
#include <cctype>

#include "command/ascii.hpp"
#include "plan/keyless_rules.hpp"
#include "plan/planner_rules.hpp"
#include "plan/slot_rules.hpp"
#include "plan/transaction_rule.hpp"
#include "routing/pause_gate.hpp"

namespace funnel::plan {
namespace {

using command::LocalCommand;
using command::Route;

constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
constexpr std::string_view kNoFunnel =
    "NOPERM this user has no permissions to run the 'funnel' command";
constexpr std::string_view kCachingOff =
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
    "OPTOUT mode enabled";

// Redis 7's refusal of other commands in RESP2 subscribe mode.
std::string_view subscribe_mode_error(const command::Classification& cls, std::string& scratch) {
  scratch = "ERR Can't execute '";
  scratch.append(cls.spec != nullptr ? std::string_view(cls.spec->name) : "funnel");
  scratch.append(
      "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
      "context");
  return scratch;
}

std::string upper(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = command::ascii_upper(c);
  return result;
}

// Redis does not replicate SCRIPT LOAD (nor SCRIPT FLUSH): EVALSHA_RO on a replica would answer
// NOSCRIPT for a script the client loaded through Funnel. So both go to every replica too.
bool copies_to_replicas(const command::Classification& cls) {
  return cls.spec != nullptr &&
         (cls.spec->name == "script|load" || cls.spec->name == "script|flush");
}

// Replies Funnel edits on their way back: INFO's section, the pub/sub counts.
std::uint16_t reply_effects(const command::Classification& cls, const resp::Request& request) {
  switch (cls.reply_edit) {
    case command::ReplyEdit::kNone:
      return 0;
    case command::ReplyEdit::kFunnelInfo:
      return wants_funnel_section(request) ? effect::kAppendFunnelInfo : 0;
    default:
      return effect::kPubsubCount;
  }
}

}  // namespace

// An ordinary forwarded request: the shared link, a read route, or the primary plus a copy to
// every replica (the primary's reply wins).
Plan plan_forward(const SessionState& state, const command::Classification& cls,
                  const resp::Request& request, const Context& context) {
  std::uint16_t effects = reply_effects(cls, request);
  if (cls.out_of_band) [[unlikely]]
    effects |= effect::kOutOfBand;
  const Lane lane = state.shared_lane();
  if (context.route_reads) [[unlikely]] {
    // Only plain reads of database 0 go to replicas; everything else keeps the primary's order.
    if (cls.read_only && state.db == 0) return Plan::forward(Target::kReadRoute, lane, effects);
    if (copies_to_replicas(cls)) {
      Plan p = Plan::forward(Target::kShared, lane, effects);
      p.action = Action::kFanOut;
      p.fan_out.parts[0] = PartTarget::kClientLane;
      p.fan_out.parts[1] = PartTarget::kEveryReplica;
      p.fan_out.count = 2;
      p.fan_out.merge = Merge::kFirstPartWins;
      return p;
    }
  }
  return Plan::forward(Target::kShared, lane, effects);
}

namespace {

// CLIENT PAUSE / UNPAUSE act on the whole server in Redis too: they go to the primary out of band
// (never behind a write that a pause already holds on a link) and Funnel records them.
Plan pause_out_of_band(const SessionState& state, ClientSub sub) {
  const bool pinned = state.holds_pin();
  Plan p =
      Plan::forward(pinned ? Target::kPinned : Target::kShared, state.forward_lane(),
                    effect::kOutOfBand | effect::kRecordPause | (pinned ? effect::kNoRetry : 0));
  p.client_sub = sub;
  return p;
}

// Under a CLIENT PAUSE, what Redis would postpone waits in Funnel (HoldFor::kPause): on a shared
// link it would stall every other client's requests behind it.
// Under a FUNNEL PAUSE everything that would reach Redis waits (kept in the client's order).
bool held_by_pause(const command::Classification& cls, const resp::Request& request,
                   const Context& context) {
  return context.writes_paused && cls.route == Route::kForward &&
         (context.holding_all || routing::paused_by_write_pause(cls, request));
}

// While the primary fails over, what would reach it waits (HoldFor::kFailover): writes, unknown
// commands, and reads unless a replica read route may serve them (the read policy decides).
bool held_by_failover(const SessionState& state, const command::Classification& cls,
                      const Context& context) {
  if (cls.route != Route::kForward) return false;
  return !(context.route_reads && cls.read_only && state.db == 0);
}

// Cluster mode: a keyless command a client expects one answer from goes to every primary or node
// (keyless_rules.hpp); a request whose keys span slots is split by slot (MGET, MSET, DEL, UNLINK,
// EXISTS, TOUCH) or refused with Redis's CROSSSLOT; the rest is forwarded as in single-node mode.
Plan plan_cluster_forward(const SessionState& state, const command::Classification& cls,
                          const resp::Request& request, const Context& context) {
  if (cls.spec == nullptr) return plan_forward(state, cls, request, context);
  if (cls.spec->first_key == 0) {
    if (const FanOut keyless = keyless_fan_out(*cls.spec); keyless.count != 0) {
      // Its parts go to primaries, a read's too: it waits while one is held (shard_reach.hpp).
      if (context.failover_hold) [[unlikely]]
        return Plan::hold(HoldFor::kFailover);
      Plan p = Plan::forward(Target::kShared, state.shared_lane());
      p.action = Action::kFanOut;
      p.fan_out = keyless;
      return p;
    }
  }
  if (!crosses_slots(cls, request)) return plan_forward(state, cls, request, context);
  const Merge merge = slot_merge(*cls.spec, request);
  if (merge == Merge::kFirstPartWins) return Plan::error(kCrossSlot);
  if (context.failover_hold) [[unlikely]]
    return Plan::hold(HoldFor::kFailover);  // as a keyless fan-out's: its parts go to primaries
  Plan p = Plan::forward(Target::kShared, state.shared_lane());
  p.action = Action::kFanOut;
  p.fan_out.parts[0] = PartTarget::kEachSlot;
  p.fan_out.count = 1;
  p.fan_out.merge = merge;
  return p;
}

// A command queued in the held MULTI in cluster mode: Redis refuses one whose own keys span
// slots (and EXEC then aborts); otherwise its slot is recorded (effect::kQueuedSlot), since at
// EXEC the whole block's keys must share one slot.
bool queue_slot(const command::Classification& cls, const resp::Request& request, Plan& p) {
  if (cls.spec == nullptr) return true;
  const SlotCheck check = slot_spread(*cls.spec, request);
  if (check.spread == SlotSpread::kCrossSlot) return false;
  if (check.spread == SlotSpread::kOneSlot) {
    p.effects |= effect::kQueuedSlot;
    p.slot = check.slot;
  }
  return true;
}

// EXEC of a block whose keys span slots: Redis answers CROSSSLOT and discards the transaction.
Plan exec_cross_slot() {
  Plan p = Plan::simple(Action::kDiscard);
  p.text = kCrossSlot;
  return p;
}

Plan plan_normal(const SessionState& state, const command::Classification& cls,
                 const resp::Request& request, const Context& context) {
  if (wants_pin(cls)) {
    bool denied = false;
    if (cls.route != Route::kReject && refusal(state, cls, request, context, denied).empty()) {
      if (context.cluster && crosses_slots(cls, request)) return Plan::error(kCrossSlot);
      // The transaction is doomed already (its EXEC answers nil): nothing to watch on a link.
      if (state.watch_lost && cls.local == LocalCommand::kWatch) [[unlikely]]
        return Plan::reply(kOk);
      if (context.holding_all) [[unlikely]]
        return Plan::hold(HoldFor::kPause);  // no link leased while Redis may be restarting
      if (context.failover_hold) [[unlikely]]
        return Plan::hold(HoldFor::kFailover);  // no link leased to the old primary
      return plan_lease(state, cls, request, context);
    }
  }
  if (cls.route == Route::kForward && state.lanes.must_wait(state.shared_lane())) {
    return Plan::simple(Action::kHold);
  }
  if (cls.route == Route::kReject) return Plan::error(cls.error);
  bool denied = false;
  if (const std::string_view text = refusal(state, cls, request, context, denied); !text.empty()) {
    return refused(text, denied);
  }
  if (context.failover_hold && held_by_failover(state, cls, context)) [[unlikely]]
    return Plan::hold(HoldFor::kFailover);
  if (held_by_pause(cls, request, context)) [[unlikely]]
    return Plan::hold(HoldFor::kPause);
  if (context.cluster) [[unlikely]] {
    Plan answered;
    if (plan_cluster_face(cls, request, state.protocol, *context.cluster_address, *context.scratch,
                          answered)) {
      return answered;
    }
    if (cls.route == Route::kForward) return plan_cluster_forward(state, cls, request, context);
    // SSUBSCRIBE / SUNSUBSCRIBE: a shard's channels only, as Redis Cluster (classic pub/sub
    // has no keys).
    if (cls.local == LocalCommand::kPubsub && crosses_slots(cls, request)) {
      return Plan::error(kCrossSlot);
    }
  }
  switch (cls.route) {
    case Route::kLocal:
      return plan_local(state, cls, request, context);
    case Route::kForward:
      return plan_forward(state, cls, request, context);
    default:
      return Plan::error(cls.error);  // needs a dedicated connection Funnel does not give it
  }
}

// Inside a MULTI that Funnel holds: nothing is sent until EXEC, so only EXEC's block can wait at
// the lane barrier; a refused command makes EXEC abort, as in Redis.
Plan plan_in_transaction(const SessionState& state, const command::Classification& cls,
                         const resp::Request& request, const Context& context) {
  if (cls.local == LocalCommand::kExec && state.lanes.must_wait(state.shared_lane())) {
    return Plan::simple(Action::kHold);
  }
  if (cls.route != Route::kReject) {
    bool denied = false;
    const std::string_view text = refusal(state, cls, request, context, denied);
    if (!text.empty()) return refused(text, denied, effect::kAbortTransaction);
  }
  std::string_view error;
  switch (decide_in_transaction(cls, error, *context.scratch)) {
    case TxAction::kQueue: {
      Plan p = Plan::simple(Action::kQueue);
      if (context.cluster && !queue_slot(cls, request, p)) {
        return Plan::error(kCrossSlot, effect::kAbortTransaction);
      }
      if (cls.route == Route::kForward && routing::paused_by_write_pause(cls, request)) {
        p.effects |= effect::kQueuedWrite;
      }
      return p;
    }
    case TxAction::kExec:
      if (context.cluster && state.tx_cross_slot) return exec_cross_slot();
      // Its WATCH was lost with the link: Funnel answers nil (or EXECABORT), nothing is sent.
      if (state.watch_lost) [[unlikely]]
        return Plan::simple(Action::kExec);
      if (context.failover_hold) [[unlikely]]
        return Plan::hold(HoldFor::kFailover);  // the block goes to the primary
      // As Redis: EXEC of a block that writes waits out a pause; a read-only block runs.
      if (context.writes_paused && (state.tx_writes || context.holding_all)) {
        return Plan::hold(HoldFor::kPause);
      }
      return Plan::simple(Action::kExec);
    case TxAction::kDiscard:
      return Plan::simple(Action::kDiscard);
    case TxAction::kNested:
    case TxAction::kWatchInside:
      return Plan::error(error);
    case TxAction::kReject:
    case TxAction::kRefuse:
      return Plan::error(error, effect::kAbortTransaction);
    case TxAction::kReset:
      return Plan::local_command(LocalCommand::kReset);
    case TxAction::kQuit:
      break;
  }
  return Plan::simple(Action::kClose);
}

// A pinned client's request for Redis waits as a shared client's does: under FUNNEL PAUSE (Redis
// may be restarting under it) and while the primary fails over (the link may lead to the old
// primary, which would accept a write and then discard it). CLIENT PAUSE / UNPAUSE go out of band.
Plan hold_on_pin(Plan p, const Context& context) {
  if (p.action != Action::kForward || p.target != Target::kPinned || p.has(effect::kRecordPause)) {
    return p;
  }
  if (context.failover_hold) [[unlikely]]
    return Plan::hold(HoldFor::kFailover);
  if (context.holding_all) [[unlikely]]
    return Plan::hold(HoldFor::kPause);
  return p;
}

Plan client_refused(const resp::Request& request, std::string& scratch) {
  std::string words = upper(request.arg(1));
  if (request.argc() > 2 && words != "KILL") words += " " + upper(request.arg(2));
  scratch = command::unsupported_error("CLIENT " + words,
                                       "it would act on Funnel's shared backend connections");
  return Plan::error(scratch);
}

}  // namespace

Plan plan_general(const SessionState& state, const command::Classification& cls,
                  const resp::Request& request, const Context& context) {
  switch (state.mode) {
    case Mode::kNormal:
      return plan_normal(state, cls, request, context);
    case Mode::kQueuing:
      return plan_in_transaction(state, cls, request, context);
    case Mode::kLeaseWaiting:
      return Plan::simple(Action::kHold);
    case Mode::kLeaseRefused:
      return Plan::error(
          state.lease_error != nullptr ? std::string_view(*state.lease_error) : std::string_view(),
          effect::kDropLease);
    case Mode::kPinned:
      break;
  }
  return hold_on_pin(plan_pinned(state, cls, request, context), context);
}

std::string_view refusal(const SessionState& state, const command::Classification& cls,
                         const resp::Request& request, const Context& context,
                         bool& permission_denied) {
  permission_denied = false;
  const LocalRule& rule = local_rule(cls.local);
  if (state.user == nullptr && !(cls.spec != nullptr && cls.spec->has(command::Flag::kNoAuth)) &&
      !rule.before_auth) {
    return kNoAuth;
  }
  if (state.resp2_subscribed() && !(cls.route == Route::kLocal && rule.resp2_subscribe)) {
    return subscribe_mode_error(cls, *context.scratch);
  }
  if (state.user == nullptr) return {};  // only no-auth commands get here: always allowed
  permission_denied = true;
  if (cls.spec == nullptr) {
    // FUNNEL (Funnel's own report commands) has no table row: only for unrestricted users.
    if (state.user->all_commands()) return {};
    return kNoFunnel;
  }
  const security::CommandPolicy& policy = *context.policy;
  if (!security::access_needs_check(*state.user, policy, *cls.spec)) return {};
  const security::Access access = security::check_access(*state.user, policy, *cls.spec, request);
  if (access == security::Access::kAllowed) return {};
  *context.scratch = security::access_error(access, *cls.spec);
  return *context.scratch;
}

Plan refused(std::string_view text, bool permission_denied, std::uint16_t effects) {
  return Plan::error(text, effects | (permission_denied ? effect::kPermissionDenied : 0));
}

Plan plan_local(const SessionState& state, const command::Classification& cls,
                const resp::Request& request, const Context& context) {
  switch (cls.local) {
    case LocalCommand::kMulti:
      return Plan::simple(Action::kBeginMulti);
    case LocalCommand::kExec:
      return Plan::error(kExecWithoutMulti);
    case LocalCommand::kDiscard:
      return Plan::error(kDiscardWithoutMulti);
    case LocalCommand::kUnwatch:
      // Nothing is watched on a link; a lost WATCH is forgotten (the session's handler).
      return state.watch_lost ? Plan::local_command(LocalCommand::kUnwatch) : Plan::reply(kOk);
    case LocalCommand::kWatch:
      *context.scratch =
          command::unsupported_error("WATCH", "it needs a dedicated backend connection");
      return Plan::error(*context.scratch);
    case LocalCommand::kQuit:
      return Plan::simple(Action::kClose);
    case LocalCommand::kClient:
      return plan_client(state, request, context);
    default:
      return Plan::local_command(cls.local);
  }
}

Plan plan_client(const SessionState& state, const resp::Request& request, const Context& context) {
  const ClientSubRule& row = client_sub_rule(request.arg(1));
  switch (row.sub) {
    case ClientSub::kPause:
    case ClientSub::kUnpause:
      return pause_out_of_band(state, row.sub);
    case ClientSub::kNone:
      command::unknown_subcommand_error(request.arg(0), request.arg(1), *context.scratch);
      return Plan::error(*context.scratch);
    case ClientSub::kRefused:
    case ClientSub::kTracking:  // reaches here only where it cannot start (see plan_lease)
      return client_refused(request, *context.scratch);
    case ClientSub::kCaching:
      return Plan::error(kCachingOff);  // tracking runs on a pinned link (OnPin)
    case ClientSub::kNoEvict: {
      // Funnel's clients are not the backend's: nothing of theirs to evict there.
      const std::string value = request.argc() == 3 ? upper(request.arg(2)) : std::string();
      if (value != "ON" && value != "OFF") return client_refused(request, *context.scratch);
      return Plan::reply(kOk);
    }
    default:
      break;
  }
  if (row.argc != 0 && request.argc() != row.argc) {
    std::string full_name = "client|";
    for (char c : row.name) full_name += command::ascii_lower(c);
    *context.scratch = command::wrong_arity_error(full_name);
    return Plan::error(*context.scratch);
  }
  return Plan::local_command(LocalCommand::kClient, row.sub);
}

bool wants_funnel_section(const resp::Request& request) {
  if (request.argc() == 1) return true;
  for (std::size_t i = 1; i < request.argc(); ++i) {
    const std::string_view arg = request.arg(i);
    if (command::iequals(arg, "funnel") || command::iequals(arg, "all") ||
        command::iequals(arg, "everything") || command::iequals(arg, "default")) {
      return true;
    }
  }
  return false;
}

}  // namespace funnel::plan
