// A user kept in the backend (auth.users_from_backend): its ACL GETUSER reply turned into Funnel's
// UserRules, or refused when Funnel's engine could not enforce it exactly (selectors, read-only
// or write-only key patterns, first-argument rules, a category Funnel does not know). Refusing
// is the safe side: enforcing such a user loosely would let it do what the backend forbids it.
// No I/O. Redis 7's reply format (flags, passwords, commands, keys, channels, selectors).
#pragma once

#include <string>
#include <string_view>

#include "command/command_table.hpp"
#include "resp/value.hpp"
#include "security/acl_rules.hpp"

namespace funnel::security {

struct BackendRules {
  UserRules rules;
  // Empty when `rules` enforce the user exactly; otherwise why the user is refused (the text of
  // an "ERR funnel: ..." reply, without the prefix).
  std::string refusal;
};

// `reply` is ACL GETUSER's reply for `user` (RESP2 or RESP3; null: no such user, which the
// caller never reaches after a successful AUTH). `table`: the backend's command table, to tell
// a subcommand rule ("+config|get") from a first-argument rule ("+select|0"); null accepts both.
BackendRules rules_from_getuser(std::string_view user, const resp::Value& reply,
                                const command::CommandTable* table);

}  // namespace funnel::security
