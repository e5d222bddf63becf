// A user's rules in a subset of Redis ACL syntax ("on ~app:* +@read -keys"), parsed once at
// start into plain data. Evaluated in order like Redis: a user starts with no commands and no
// keys; later rules override earlier ones. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.hpp"
#include "security/password_hash.hpp"

namespace funnel::security {

struct CommandRule {
  enum class Target : std::uint8_t { kAll, kCategory, kCommand };
  bool allow = false;
  Target target = Target::kAll;
  std::uint32_t category = 0;  // kCategory: a command::AclCategory bit
  std::string command;         // kCommand: lower case, "get" or "config|get"

  static CommandRule all(bool allow) {
    CommandRule rule;
    rule.allow = allow;
    return rule;
  }
  bool operator==(const CommandRule&) const = default;
};

struct UserRules {
  bool enabled = true;                  // "on" (the default in Funnel's config) / "off"
  bool nopass = false;                  // "nopass": any password is accepted
  std::vector<Sha256> password_hashes;  // "#<hex>"
  std::vector<CommandRule> commands;
  bool all_keys = false;  // "allkeys" / "~*"
  std::vector<std::string> key_patterns;
  // Pub/sub channels. Configured users have every channel (their "&..." rules are refused);
  // users read from the backend (backend_acl.hpp) have the channels ACL GETUSER lists.
  bool all_channels = true;
  std::vector<std::string> channel_patterns;
  bool operator==(const UserRules&) const = default;
};

// Applies the space-separated rules in `text` to `rules`. Returns "" on success, else a message
// naming the offending rule and what to do. Accepted: on off nopass resetpass #<sha256-hex>
// allcommands +@all nocommands -@all +@<category> -@<category> +<command> -<command>
// +<command>|<sub> -<command>|<sub> allkeys ~<pattern> resetkeys reset, and allchannels / &* (no
// effect: channel permissions are not enforced). Plain ">password" rules are refused: a password
// does not belong in the config file.
std::string parse_acl_rules(std::string_view text, UserRules& rules);

// Whether the rules allow this command (a row of the command table; subcommands are rows named
// "container|sub"). Last matching rule wins, as in Redis.
bool rules_allow_command(const UserRules& rules, const command::CommandSpec& spec);
// True if the last rule naming this exact command (or its container) by name allows it: how a
// user gets back a command that the global deny list removes (a category grant is not enough).
bool rules_name_command(const UserRules& rules, const command::CommandSpec& spec);
// True when every command is allowed whatever the table holds (the rules end in +@all with no
// later removal), so the per-request check can be skipped.
bool rules_allow_everything(const UserRules& rules);

}  // namespace funnel::security
