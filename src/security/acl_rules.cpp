// parse_acl_rules and the command-rule evaluation. Rule words follow Redis 7.0's ACL SETUSER.
#include "security/acl_rules.hpp"

#include <cctype>

namespace funnel::security {
namespace {

std::string lower(std::string_view word) {
  std::string out(word);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_command_name(std::string_view name) {
  if (name.empty() || name.front() == '|' || name.back() == '|') return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '|' || c == '.' || c == ':')) {
      return false;
    }
  }
  return true;
}

std::string quoted(std::string_view word) {
  return "'" + std::string(word) + "'";
}

std::string parse_command_rule(std::string_view word, UserRules& rules) {
  CommandRule rule;
  rule.allow = word.front() == '+';
  std::string_view body = word.substr(1);
  if (body.starts_with('@')) {
    const std::string category = lower(body.substr(1));
    if (category == "all") {
      rule.target = CommandRule::Target::kAll;
    } else {
      rule.category = command::acl_category_from_name(category);
      if (rule.category == 0) {
        return "unknown ACL category " + quoted(body) +
               ": use one of @all @keyspace @read @write @set @sortedset @list @hash @string "
               "@bitmap @hyperloglog @geo @stream @pubsub @admin @fast @slow @blocking "
               "@dangerous @connection @transaction @scripting";
      }
      rule.target = CommandRule::Target::kCategory;
    }
  } else {
    if (!valid_command_name(body)) return "not a command name in ACL rule " + quoted(word);
    rule.target = CommandRule::Target::kCommand;
    rule.command = lower(body);
  }
  rules.commands.push_back(std::move(rule));
  return {};
}

std::string parse_one(std::string_view word, UserRules& rules) {
  const std::string w = lower(word);
  if (w == "on") {
    rules.enabled = true;
  } else if (w == "off") {
    rules.enabled = false;
  } else if (w == "nopass") {
    rules.nopass = true;
    rules.password_hashes.clear();
  } else if (w == "resetpass") {
    rules.nopass = false;
    rules.password_hashes.clear();
  } else if (w == "allkeys" || word == "~*") {
    rules.all_keys = true;
    rules.key_patterns.clear();
  } else if (w == "resetkeys") {
    rules.all_keys = false;
    rules.key_patterns.clear();
  } else if (w == "allcommands") {
    rules.commands.push_back(CommandRule::all(true));
  } else if (w == "nocommands") {
    rules.commands.push_back(CommandRule::all(false));
  } else if (w == "reset") {
    rules = UserRules{};
    rules.enabled = false;  // Redis: reset leaves the user off, without passwords or rights
  } else if (w == "allchannels" || word == "&*") {
    // Channel permissions are not enforced by Funnel (see docs/security.md); allowing all
    // channels is exactly what happens, so the rule is accepted.
  } else if (word.front() == '&' || w == "resetchannels") {
    return "channel rule " + quoted(word) +
           " is not supported: Funnel does not restrict pub/sub channels; remove it (use "
           "-@pubsub to forbid pub/sub commands)";
  } else if (word.front() == '~') {
    if (word.size() == 1) return "empty key pattern in ACL rule '~'";
    if (!rules.all_keys) rules.key_patterns.emplace_back(word.substr(1));
  } else if (word.front() == '%') {
    return "key permission rule " + quoted(word) +
           " (%R~ / %W~) is not supported: use ~pattern for read and write access";
  } else if (word.front() == '#') {
    auto digest = parse_sha256_hex(word.substr(1));
    if (!digest) return "ACL rule '#...' must be '#' followed by 64 hex digits (a SHA-256)";
    rules.nopass = false;
    rules.password_hashes.push_back(*digest);
  } else if (word.front() == '>' || word.front() == '<' || word.front() == '!') {
    return "password rules ('>', '<', '!') are not accepted: a password does not belong in the "
           "config file; give password_sha256, password_file or password_env instead";
  } else if (word.front() == '+' || word.front() == '-') {
    if (word.size() == 1) return "empty ACL rule " + quoted(word);
    return parse_command_rule(word, rules);
  } else {
    return "unknown ACL rule " + quoted(word) +
           ": use on, off, nopass, #<sha256>, allkeys, ~pattern, resetkeys, allcommands, "
           "nocommands, +@category, -@category, +command, -command";
  }
  return {};
}

std::string_view top_name(std::string_view full) {
  return full.substr(0, full.find('|'));
}

bool names(const CommandRule& rule, const command::CommandSpec& spec) {
  return rule.command == spec.name || rule.command == top_name(spec.name);
}

}  // namespace

std::string parse_acl_rules(std::string_view text, UserRules& rules) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    std::size_t end = pos;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    if (end > pos) {
      std::string error = parse_one(text.substr(pos, end - pos), rules);
      if (!error.empty()) return error;
    }
    pos = end;
  }
  return {};
}

bool rules_allow_command(const UserRules& rules, const command::CommandSpec& spec) {
  bool allowed = false;
  for (const CommandRule& rule : rules.commands) {
    bool match = false;
    switch (rule.target) {
      case CommandRule::Target::kAll:
        match = true;
        break;
      case CommandRule::Target::kCategory:
        match = (spec.acl & rule.category) != 0;
        break;
      case CommandRule::Target::kCommand:
        match = names(rule, spec);
        break;
    }
    if (match) allowed = rule.allow;
  }
  return allowed;
}

bool rules_name_command(const UserRules& rules, const command::CommandSpec& spec) {
  bool named = false;
  for (const CommandRule& rule : rules.commands) {
    if (rule.target == CommandRule::Target::kCommand && names(rule, spec)) named = rule.allow;
  }
  return named;
}

bool rules_allow_everything(const UserRules& rules) {
  bool all = false;
  for (const CommandRule& rule : rules.commands) {
    if (rule.target == CommandRule::Target::kAll) {
      all = rule.allow;
    } else if (!rule.allow) {
      all = false;
    }
  }
  return all;
}

}  // namespace funnel::security
