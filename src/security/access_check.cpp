// check_access: command rules, deny list, keys.
#include "security/access_check.hpp"

#include <algorithm>

#include "security/glob.hpp"
#include "security/key_positions.hpp"

namespace funnel::security {
namespace {

bool key_allowed(const UserRules& rules, std::string_view key) {
  for (const std::string& pattern : rules.key_patterns) {
    if (glob_match(pattern, key)) return true;
  }
  return false;
}

bool channel_allowed(const UserRules& rules, std::string_view channel, bool is_pattern) {
  for (const std::string& pattern : rules.channel_patterns) {
    // As Redis: a PSUBSCRIBE pattern must equal a permitted pattern; a channel is matched.
    if (is_pattern ? pattern == channel : glob_match(pattern, channel)) return true;
  }
  return false;
}

// Redis 7.0's channel arguments (db.c commands_with_channels, those it checks): every argument
// of (S|P)SUBSCRIBE, the first of (S)PUBLISH. Unsubscribing is never refused.
bool channels_allowed(const UserRules& rules, const command::CommandSpec& spec,
                      const resp::Request& request) {
  if (!spec.in(command::AclCategory::kPubsub)) return true;
  const std::string& name = spec.name;
  const bool subscribe = name == "subscribe" || name == "ssubscribe";
  const bool pattern = name == "psubscribe";
  const bool publish = name == "publish" || name == "spublish";
  if (!subscribe && !pattern && !publish) return true;
  const std::size_t end = publish ? std::min<std::size_t>(request.argc(), 2) : request.argc();
  for (std::size_t i = 1; i < end; ++i) {
    if (!channel_allowed(rules, request.arg(i), pattern)) return false;
  }
  return true;
}

// The script values of Access follow ScriptVerdict's refusals in the same order (access_check.hpp),
// so each maps onto the other by an offset.
constexpr auto kScriptOffset =
    static_cast<int>(Access::kScriptKeyPatterns) - static_cast<int>(ScriptVerdict::kKeyPatterns);
static_assert(static_cast<int>(Access::kScriptBackendUnknown) - kScriptOffset ==
              static_cast<int>(ScriptVerdict::kBackendUnknown));

Access script_access(ScriptVerdict verdict) {
  if (verdict == ScriptVerdict::kAllowed) return Access::kAllowed;
  return static_cast<Access>(static_cast<int>(verdict) + kScriptOffset);
}

ScriptVerdict script_verdict_of(Access access) {
  if (access < Access::kScriptKeyPatterns) return ScriptVerdict::kAllowed;
  return static_cast<ScriptVerdict>(static_cast<int>(access) - kScriptOffset);
}

}  // namespace

Access check_access(const User& user, const CommandPolicy& policy, const command::CommandSpec& spec,
                    const resp::Request& request) {
  if (spec.has(command::Flag::kNoAuth)) return Access::kAllowed;
  const UserRules& rules = user.rules();
  if (!user.all_commands() && !rules_allow_command(rules, spec)) return Access::kCommandDenied;
  if (policy.denies(spec) && !rules_name_command(rules, spec)) return Access::kCommandDenied;
  if (policy.script_id(spec) && script_command(spec) != ScriptCommand::kNone) [[unlikely]] {
    const ScriptVerdict verdict = script_verdict(user.script_rights(), policy.gate().state());
    if (verdict != ScriptVerdict::kAllowed) return script_access(verdict);
  }
  if (!user.all_channels() && !channels_allowed(rules, spec, request)) {
    return Access::kChannelDenied;
  }
  if (user.all_keys()) return Access::kAllowed;
  bool allowed = true;
  const KeyScan scan = for_each_key(spec, request, [&](std::string_view key) {
    allowed = key_allowed(rules, key);
    return allowed;
  });
  // Keys Funnel cannot locate could be any keys: refuse rather than guess (docs/security.md).
  if (scan == KeyScan::kUnknown) return Access::kKeyDenied;
  return allowed ? Access::kAllowed : Access::kKeyDenied;
}

std::string access_error(Access access, const command::CommandSpec& spec) {
  if (const ScriptVerdict verdict = script_verdict_of(access); verdict != ScriptVerdict::kAllowed) {
    return script_refusal(verdict);
  }
  if (access == Access::kChannelDenied) {
    return "NOPERM this user has no permissions to access one of the channels used as arguments";
  }
  if (access == Access::kKeyDenied) {
    return "NOPERM this user has no permissions to access one of the keys used as arguments";
  }
  return "NOPERM this user has no permissions to run the '" + spec.name + "' command";
}

}  // namespace funnel::security
