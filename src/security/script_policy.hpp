// Scripts (EVAL, FCALL and their kin) run inside Redis with the rights of the backend link's
// user, not Funnel's client user, so Funnel's own checks stop at the script's edge. The rule:
// a script never does what its caller could not do directly. Two halves (docs/security.md#scripts):
// - the deny list holds inside scripts because the data links log in as a backend ACL user that
//   Funnel provisions without the denied commands (backend_user.hpp); where the backend refuses
//   that, the ScriptGate says so and scripts are refused;
// - a user whose own rules are narrower than that backend user (key patterns, command rules)
//   may not run scripts at all.
// No I/O; the gate is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "command/command_table.hpp"

namespace funnel::security {

enum class ScriptCommand : std::uint8_t {
  kNone,
  kRuns,     // EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, FCALL, FCALL_RO: runs code now
  kDefines,  // FUNCTION LOAD / RESTORE: code that other users' FCALLs run later
};
// By the row's name ("function|load" for subcommands).
ScriptCommand script_command(const command::CommandSpec& spec);
// The same for a command id (command::command_id; subcommands share their container's, so
// "function" counts as defining): for the backend links, which know only the id.
bool runs_script(std::uint16_t command_id);

// Whether the backend enforces the deny list inside scripts. Process-wide: set by the links'
// handshakes and the control link's probe, read by every access check (one relaxed load).
class ScriptGate {
 public:
  enum class State : std::uint8_t {
    kNotNeeded,   // the deny list is empty: nothing to enforce
    kTrusted,     // auth.backend_enforces_deny_list: the operator says backend.user lacks them
    kUnknown,     // no link has tried yet (backend unreachable since start)
    kEnforced,    // the provisioned backend user holds the deny list
    kUnenforced,  // the backend refused ACL SETUSER: scripts are refused
  };
  State state() const { return state_.load(std::memory_order_relaxed); }
  // Initial state (before any thread reads it).
  void configure(bool deny_list_empty, bool trusted);
  // A handshake provisioned the backend user.
  void report_enforced();
  // A handshake's ACL SETUSER was refused with `error`. Sticky: links that fell back run as
  // backend.user, so scripts stay refused until restart. True the first time (the caller logs).
  bool report_refused(std::string_view error);
  // Whether handshakes provision the backend user at all.
  bool provisions() const {
    const State s = state();
    return s != State::kNotNeeded && s != State::kTrusted;
  }
  std::string refusal() const;

 private:
  std::atomic<State> state_{State::kUnknown};
  mutable std::mutex mutex_;
  std::string refusal_;  // the backend's error, guarded by mutex_
};

// Why a user may not run scripts (computed once per user from its rules and the deny list).
enum class ScriptRights : std::uint8_t {
  kAll,            // all keys, all commands the deny list allows, every grant other users have
  kKeyPatterns,    // the user has key patterns
  kCommandRules,   // the user's command rules remove commands
  kMissingGrants,  // other users are given back denied commands this user lacks (see docs)
};

enum class ScriptVerdict : std::uint8_t {
  kAllowed,
  kKeyPatterns,     // ScriptRights::kKeyPatterns
  kCommandRules,    // ScriptRights::kCommandRules
  kMissingGrants,   // ScriptRights::kMissingGrants
  kBackendRefused,  // ScriptGate kUnenforced
  kBackendUnknown,  // ScriptGate kUnknown
};

// The decision for one script command: the user's rights first (they do not change), then the
// backend's. Table-tested (tests/unit/security/script_policy_test.cpp).
ScriptVerdict script_verdict(ScriptRights rights, ScriptGate::State gate);

// The client-visible refusal (after '-', no CRLF): "NOPERM funnel: ..." saying why and what to do.
std::string script_refusal(ScriptVerdict verdict);

}  // namespace funnel::security
