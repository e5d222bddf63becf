// The request planner: given a session's protocol state (session_state.hpp), a classified
// request and a few facts about the process, it returns what to do with the request (plan.hpp).
// Every decision ClientSession used to make about a request is here, as rules a unit test can
// drive without sockets (tests/unit/plan/planner_test.cpp); the session only carries plans out.
//
// The order of the rules (docs/security.md's refusal order, then the routes):
//   1. a request that needs another lane than the one in flight waits (kHold);
//   2. Redis's own errors for unknown commands, arity and subcommands;
//   3. NOAUTH, then RESP2 subscribe mode, then the user's command rules, the deny list and keys
//      (NOPERM), in every mode: unpinned, inside MULTI, on a pinned link;
//   4. the mode's rules: the held MULTI (transaction_rule.hpp), the pinned link (OnPin), or
//      the routes of an ordinary request (local, forward, read route, fan-out, refused).
// No I/O, no allocation on the forward path (texts it builds go to Context::scratch).
#pragma once

#include <string>

#include "plan/cluster_face.hpp"
#include "plan/plan.hpp"
#include "security/access_check.hpp"
#include "security/user_directory.hpp"

namespace funnel::plan {

// What the planner needs to know about the process. Read-only for the planner.
struct Context {
  const security::CommandPolicy* policy = nullptr;  // the users' command policy (never null)
  bool pinned_enabled = true;                       // backend.max_pinned > 0
  bool route_reads = false;        // replicas to read from (reads may take a read route)
  std::string* scratch = nullptr;  // storage for the texts the planner builds (never null)
  bool writes_paused = false;      // a CLIENT PAUSE in force holds writes (PauseGate, per batch)
  bool cluster = false;            // the backend is a Redis Cluster: slot rules apply (issue #16)
  // Cluster: the address CLUSTER SLOTS & co give for Funnel (never null when `cluster`).
  const ClusterAddress* cluster_address = nullptr;
  // A FUNNEL PAUSE holds every request Funnel would send (PauseGate::holds_all); writes_paused
  // is then true too, so the inline case below stays one check.
  bool holding_all = false;
  // The primary is failing over (routing::FailoverGate, per batch): what would go to it waits.
  bool failover_hold = false;
};

// Every request but the plain one of plan().
Plan plan_general(const SessionState& state, const command::Classification& cls,
                  const resp::Request& request, const Context& context);

// In cluster mode a command with exactly one key (GET, SET, ...) cannot cross slots and keeps
// the fast path; keyless ones (CLUSTER, answered by Funnel) and multi-key ones take the rules.
inline bool one_key(const command::CommandSpec& spec) {
  return spec.first_key > 0 && spec.last_key == spec.first_key &&
         !spec.has(command::Flag::kMovableKeys);
}

// The plan for one request. The GET/SET case of an ordinary client (all commands and keys,
// shared links, nothing routed to replicas) is decided inline, in a few comparisons.
inline Plan plan(const SessionState& state, const command::Classification& cls,
                 const resp::Request& request, const Context& context) {
  if (state.mode == Mode::kNormal && cls.route == command::Route::kForward &&
      state.user != nullptr && !state.resp2_subscribed() &&
      cls.reply_edit == command::ReplyEdit::kNone && !cls.out_of_band && !context.route_reads &&
      !context.writes_paused && !context.failover_hold &&
      (!context.cluster || one_key(*cls.spec)) &&
      !security::access_needs_check(*state.user, *context.policy, *cls.spec)) [[likely]] {
    const Lane lane = state.shared_lane();
    if (state.lanes.must_wait(lane)) return Plan::simple(Action::kHold);
    return Plan::forward(Target::kShared, lane);
  }
  return plan_general(state, cls, request, context);
}

// The refusal of docs/security.md's order (NOAUTH, subscribe mode, NOPERM) for a request Redis
// would run, or an empty text when it may run. Texts it builds go to context.scratch.
std::string_view refusal(const SessionState& state, const command::Classification& cls,
                         const resp::Request& request, const Context& context,
                         bool& permission_denied);

// INFO shows Funnel's section by default, for "all"/"everything"/"default" and for "funnel".
bool wants_funnel_section(const resp::Request& request);

}  // namespace funnel::plan
