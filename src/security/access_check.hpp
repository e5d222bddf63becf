// The per-request permission check for an authenticated user: command rules, the global deny
// list, then key patterns, in Redis's order and with Redis 7.0's NOPERM texts. No I/O; allocates
// only when it writes an error.
#pragma once

#include <cstdint>
#include <string>

#include "command/command_table.hpp"
#include "resp/request_parser.hpp"
#include "security/user_directory.hpp"

namespace funnel::security {

enum class Access : std::uint8_t {
  kAllowed,
  kCommandDenied,
  kKeyDenied,
  kChannelDenied,
  // A script command refused by the script rules (script_policy.hpp): one value per refusing
  // ScriptVerdict, in its order (access_check.cpp maps them by an offset); keep them last.
  kScriptKeyPatterns,
  kScriptCommandRules,
  kScriptMissingGrants,
  kScriptBackendRefused,
  kScriptBackendUnknown,
};

// `spec` is the resolved row (the subcommand's row for containers). Commands with the no-auth
// flag (AUTH, HELLO, QUIT, RESET) are always allowed, as in Redis. Script commands (EVAL ...,
// FCALL ..., FUNCTION LOAD) are checked against the script rules after the command rules and the
// deny list: a script never does what its caller could not do directly.
Access check_access(const User& user, const CommandPolicy& policy, const command::CommandSpec& spec,
                    const resp::Request& request);

// True when check_access can be skipped for this user and command: every command and key is
// allowed and neither the deny list nor the script rules can apply. The hot path's one branch
// (and one bit test) for ordinary users.
inline bool access_needs_check(const User& user, const CommandPolicy& policy,
                               const command::CommandSpec& spec) {
  return !user.all_commands() || !user.all_data() || policy.may_apply(spec);
}

// Redis 7.0's texts (after '-', without CRLF):
//   NOPERM this user has no permissions to run the 'config|get' command
//   NOPERM this user has no permissions to access one of the keys used as arguments
//   NOPERM this user has no permissions to access one of the channels used as arguments
// and for scripts Funnel's own "NOPERM funnel: ..." (script_refusal()).
std::string access_error(Access access, const command::CommandSpec& spec);

}  // namespace funnel::security
