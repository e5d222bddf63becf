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

enum class Access : std::uint8_t { kAllowed, kCommandDenied, kKeyDenied };

// `spec` is the resolved row (the subcommand's row for containers). Commands with the no-auth
// flag (AUTH, HELLO, QUIT, RESET) are always allowed, as in Redis.
Access check_access(const User& user, const CommandPolicy& policy, const command::CommandSpec& spec,
                    const resp::Request& request);

// True when check_access can be skipped for this user and command: every command and key is
// allowed and the deny list does not name it. The hot path's one branch for ordinary users.
inline bool access_needs_check(const User& user, const CommandPolicy& policy,
                               const command::CommandSpec& spec) {
  return !user.all_commands() || !user.all_keys() || policy.denies(spec);
}

// Redis 7.0's texts (after '-', without CRLF):
//   NOPERM this user has no permissions to run the 'config|get' command
//   NOPERM this user has no permissions to access one of the keys used as arguments
std::string access_error(Access access, const command::CommandSpec& spec);

}  // namespace funnel::security
