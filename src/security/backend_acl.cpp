// rules_from_getuser: each field of ACL GETUSER's reply in turn; the first field Funnel cannot
// enforce exactly refuses the user.
#include "security/backend_acl.hpp"

#include <vector>

namespace funnel::security {
namespace {

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    if (end > pos) out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string apply_flags(const resp::Value& flags, UserRules& rules) {
  if (!flags.is_aggregate()) return "an ACL GETUSER reply without flags";
  rules.enabled = false;
  for (const resp::Value& flag : flags.elems) {
    const std::string_view name = flag.as_string().value_or("");
    if (name == "on") {
      rules.enabled = true;
    } else if (name == "nopass") {
      rules.nopass = true;
    } else if (name != "off" && name != "sanitize-payload" && name != "skip-sanitize-payload") {
      return "the flag '" + std::string(name) + "'";
    }
  }
  return {};
}

// A rule "+name|arg" where name has no subcommand arg is a first-argument rule (Redis 7's
// "+select|0"), which Funnel's engine cannot evaluate.
bool first_arg_rule(std::string_view word, const command::CommandTable* table) {
  const std::size_t bar = word.find('|');
  if (table == nullptr || bar == std::string_view::npos || word.starts_with("+@") ||
      word.starts_with("-@")) {
    return false;
  }
  const command::CommandSpec* container = table->find(word.substr(1, bar - 1));
  return container == nullptr ||
         command::CommandTable::find_subcommand(*container, word.substr(bar + 1)) == nullptr;
}

std::string apply_commands(std::string_view text, UserRules& rules,
                           const command::CommandTable* table) {
  for (std::string_view word : words(text)) {
    if (word.size() < 2 || (word.front() != '+' && word.front() != '-')) {
      return "the command rule '" + std::string(word) + "'";
    }
    if (first_arg_rule(word, table)) {
      return "the first-argument rule '" + std::string(word) + "'";
    }
    if (std::string error = parse_acl_rules(word, rules); !error.empty()) {
      return "the command rule '" + std::string(word) + "' (" + error + ")";
    }
  }
  return {};
}

std::string apply_keys(std::string_view text, UserRules& rules) {
  for (std::string_view word : words(text)) {
    if (word == "~*") {
      rules.all_keys = true;
      rules.key_patterns.clear();
    } else if (word.starts_with("~") && word.size() > 1) {
      if (!rules.all_keys) rules.key_patterns.emplace_back(word.substr(1));
    } else {
      return "the key rule '" + std::string(word) + "' (read-only or write-only keys)";
    }
  }
  return {};
}

std::string apply_channels(std::string_view text, UserRules& rules) {
  rules.all_channels = false;
  for (std::string_view word : words(text)) {
    if (word == "&*") {
      rules.all_channels = true;
      rules.channel_patterns.clear();
    } else if (word.starts_with("&") && word.size() > 1) {
      if (!rules.all_channels) rules.channel_patterns.emplace_back(word.substr(1));
    } else {
      return "the channel rule '" + std::string(word) + "'";
    }
  }
  return {};
}

std::string apply_reply(const resp::Value& reply, UserRules& rules,
                        const command::CommandTable* table) {
  const resp::Value* flags = reply.find("flags");
  const resp::Value* commands = reply.find("commands");
  const resp::Value* keys = reply.find("keys");
  const resp::Value* channels = reply.find("channels");
  const resp::Value* selectors = reply.find("selectors");
  if (flags == nullptr || commands == nullptr || keys == nullptr || channels == nullptr ||
      !commands->as_string() || !keys->as_string() || !channels->as_string()) {
    return "an ACL GETUSER reply not in Redis 7's form";
  }
  if (selectors != nullptr && selectors->is_aggregate() && !selectors->elems.empty()) {
    return "selectors ('(...)' rules)";
  }
  if (std::string error = apply_flags(*flags, rules); !error.empty()) return error;
  if (std::string error = apply_commands(*commands->as_string(), rules, table); !error.empty()) {
    return error;
  }
  if (std::string error = apply_keys(*keys->as_string(), rules); !error.empty()) return error;
  return apply_channels(*channels->as_string(), rules);
}

}  // namespace

BackendRules rules_from_getuser(std::string_view user, const resp::Value& reply,
                                const command::CommandTable* table) {
  BackendRules out;
  if (reply.is_null()) {
    out.rules.enabled = false;  // deleted between AUTH and ACL GETUSER: nobody logs in
    return out;
  }
  if (reply.is_error()) {
    out.refusal = "backend user '" + std::string(user) + "' cannot be used: ACL GETUSER failed (" +
                  reply.str + "); give Funnel's backend user +acl|getuser";
    return out;
  }
  if (std::string what = apply_reply(reply, out.rules, table); !what.empty()) {
    out.refusal = "backend user '" + std::string(user) + "' has " + what +
                  ", which Funnel cannot enforce exactly; change the user's rules on the backend "
                  "or configure it in Funnel's [[users]]";
  }
  return out;
}

}  // namespace funnel::security
