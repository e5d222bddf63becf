// Script commands, the ScriptGate and the script verdict (see script_policy.hpp).
#include "security/script_policy.hpp"

#include <array>

namespace funnel::security {
namespace {

constexpr std::array<std::string_view, 6> kRunning = {"eval",       "evalsha", "eval_ro",
                                                      "evalsha_ro", "fcall",   "fcall_ro"};

struct ScriptIds {
  std::array<std::uint16_t, kRunning.size()> ids{};
  ScriptIds() {
    for (std::size_t i = 0; i < kRunning.size(); ++i) ids[i] = command::command_id(kRunning[i]);
  }
};

}  // namespace

ScriptCommand script_command(const command::CommandSpec& spec) {
  for (std::string_view name : kRunning) {
    if (spec.name == name) return ScriptCommand::kRuns;
  }
  if (spec.name == "function|load" || spec.name == "function|restore") {
    return ScriptCommand::kDefines;
  }
  return ScriptCommand::kNone;
}

bool runs_script(std::uint16_t command_id) {
  static const ScriptIds ids;  // built once, thread-safe (the registry has its own lock)
  for (std::uint16_t id : ids.ids) {
    if (id == command_id && id != 0) return true;
  }
  return false;
}

void ScriptGate::configure(bool deny_list_empty, bool trusted) {
  State state = State::kUnknown;
  if (deny_list_empty) {
    state = State::kNotNeeded;
  } else if (trusted) {
    state = State::kTrusted;
  }
  state_.store(state, std::memory_order_relaxed);
}

void ScriptGate::report_enforced() {
  State expected = State::kUnknown;
  state_.compare_exchange_strong(expected, State::kEnforced, std::memory_order_relaxed);
}

bool ScriptGate::report_refused(std::string_view error) {
  {
    std::lock_guard lock(mutex_);
    if (refusal_.empty()) refusal_ = std::string(error);
  }
  State expected = state();
  while (expected == State::kUnknown || expected == State::kEnforced) {
    if (state_.compare_exchange_weak(expected, State::kUnenforced, std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

std::string ScriptGate::refusal() const {
  std::lock_guard lock(mutex_);
  return refusal_;
}

ScriptVerdict script_verdict(ScriptRights rights, ScriptGate::State gate) {
  switch (rights) {
    case ScriptRights::kAll:
      break;
    case ScriptRights::kKeyPatterns:
      return ScriptVerdict::kKeyPatterns;
    case ScriptRights::kCommandRules:
      return ScriptVerdict::kCommandRules;
    case ScriptRights::kMissingGrants:
      return ScriptVerdict::kMissingGrants;
  }
  switch (gate) {
    case ScriptGate::State::kUnenforced:
      return ScriptVerdict::kBackendRefused;
    case ScriptGate::State::kUnknown:
      return ScriptVerdict::kBackendUnknown;
    default:
      return ScriptVerdict::kAllowed;
  }
}

std::string script_refusal(ScriptVerdict verdict) {
  constexpr std::string_view kUser = "NOPERM funnel: this user may not run scripts: ";
  constexpr std::string_view kBackend = "NOPERM funnel: scripts are refused: ";
  constexpr std::string_view kDocs = " (docs/security.md#scripts)";
  std::string why;
  switch (verdict) {
    case ScriptVerdict::kAllowed:
      return {};
    case ScriptVerdict::kKeyPatterns:
      why = std::string(kUser) +
            "its key patterns cannot be enforced inside a script; send the script's commands "
            "directly, or give the user allkeys";
      break;
    case ScriptVerdict::kCommandRules:
      why = std::string(kUser) +
            "its command rules cannot be enforced inside a script; send the script's commands "
            "directly, or give the user +@all";
      break;
    case ScriptVerdict::kMissingGrants:
      why = std::string(kUser) +
            "other users are given back denied commands (+<command> in their rules) that this "
            "user lacks, and scripts run with those; name the same commands in its rules or "
            "remove the grants";
      break;
    case ScriptVerdict::kBackendRefused:
      why = std::string(kBackend) +
            "the backend refused ACL SETUSER, so auth.deny_commands cannot be enforced inside "
            "scripts; allow it for backend.user, or set auth.backend_enforces_deny_list = 1 if "
            "backend.user already lacks those commands";
      break;
    case ScriptVerdict::kBackendUnknown:
      why = std::string(kBackend) +
            "no backend link has been set up yet, so it is not known whether auth.deny_commands "
            "holds inside scripts; retry when the backend is reachable";
      break;
  }
  return why.append(kDocs);
}

}  // namespace funnel::security
