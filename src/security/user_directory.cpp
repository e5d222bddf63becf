// UserDirectory::build and authentication.
#include "security/user_directory.hpp"

#include <algorithm>

namespace funnel::security {
namespace {

UserRules rules_for(const config::UserConfig& user, std::size_t index) {
  UserRules rules;
  const std::string where = "users[" + std::to_string(index) + "] (" + user.name + ")";
  if (std::string error = parse_acl_rules(user.rules, rules); !error.empty()) {
    throw config::ConfigError(where + ".rules: " + error);
  }
  if (!user.password_sha256.empty()) {
    rules.password_hashes.push_back(*parse_sha256_hex(user.password_sha256));
    rules.nopass = false;
  }
  if (user.password) {
    rules.password_hashes.push_back(sha256(*user.password));
    rules.nopass = false;
  }
  if (rules.enabled && !rules.nopass && rules.password_hashes.empty()) {
    throw config::ConfigError(where +
                              ": no password: give password_sha256, password_file or "
                              "password_env (or write nopass in rules to accept any password)");
  }
  return rules;
}

// The default user of a Funnel without [[users]]: all commands and keys, with requirepass as
// its password when there is one, like Redis's own default user.
UserRules default_rules(const config::AuthConfig& auth) {
  UserRules rules;
  rules.all_keys = true;
  rules.commands.push_back(CommandRule::all(true));
  if (auth.requirepass) {
    rules.password_hashes.push_back(sha256(*auth.requirepass));
  } else if (auth.users.empty()) {
    rules.nopass = true;
  } else {
    rules.enabled = false;  // named users are configured: nobody gets in without AUTH
  }
  return rules;
}

std::string_view top_name(std::string_view full) {
  return full.substr(0, full.find('|'));
}

bool overlaps(std::string_view a, std::string_view b) {
  return a == b || top_name(a) == b || top_name(b) == a;
}

// Whether the last rule naming `name` (or its container) by name allows it.
bool names_allowed(const UserRules& rules, std::string_view name) {
  bool allowed = false;
  for (const CommandRule& rule : rules.commands) {
    if (rule.target != CommandRule::Target::kCommand) continue;
    if (rule.command == name || rule.command == top_name(name)) allowed = rule.allow;
  }
  return allowed;
}

}  // namespace

User::User(std::string name, UserRules rules) : name_(std::move(name)), rules_(std::move(rules)) {
  all_commands_ = rules_allow_everything(rules_);
  all_data_ = rules_.all_keys && rules_.all_channels;
}

bool User::password_matches(std::string_view password) const {
  if (rules_.nopass) return true;
  const Sha256 given = sha256(password);
  bool match = false;
  for (const Sha256& stored : rules_.password_hashes) match |= digest_equal(given, stored);
  return match;
}

std::shared_ptr<const UserDirectory> UserDirectory::build(const config::AuthConfig& auth) {
  auto directory = std::make_shared<UserDirectory>();
  bool has_default = false;
  for (std::size_t i = 0; i < auth.users.size(); ++i) {
    const config::UserConfig& user = auth.users[i];
    has_default = has_default || user.name == "default";
    directory->users_.push_back(std::make_unique<User>(user.name, rules_for(user, i)));
    directory->users_.back()->limits_ = {user.max_connections, user.max_commands_per_s,
                                         user.max_pinned};
  }
  if (!has_default) {
    directory->users_.push_back(std::make_unique<User>("default", default_rules(auth)));
    directory->users_.back()->limits_ = {auth.default_max_connections,
                                         auth.default_max_commands_per_s, auth.default_max_pinned};
  }
  if (std::string error = directory->policy_.parse(auth.deny_commands); !error.empty()) {
    throw config::ConfigError("auth.deny_commands: " + error);
  }
  directory->policy_.gate().configure(directory->policy_.names().empty(),
                                      auth.backend_enforces_deny_list != 0);
  directory->decide_script_rights();
  const User* default_user = directory->find("default");
  if (default_user->enabled() && default_user->nopass()) directory->initial_ = default_user;
  return directory;
}

std::shared_ptr<const UserDirectory> UserDirectory::rebuild(const config::AuthConfig& auth,
                                                            const UserDirectory& running) {
  auto directory = std::const_pointer_cast<UserDirectory>(build(auth));
  // The same user keeps its counts: connections in use are still in use after the reload.
  for (const auto& user : directory->users_) {
    if (const User* before = running.find(user->name())) user->counters_ = before->counters_;
  }
  ScriptGate& gate = directory->policy_.gate();
  if (!gate.provisions()) return directory;  // nothing to enforce, or the operator vouches
  if (running.policy_.gate().provisions() && directory->backend_user_ == running.backend_user_) {
    directory->policy_.share_gate(running.policy_.gate_ptr());
    return directory;
  }
  gate.report_refused(
      "a configuration reload changed the deny list or the users given back denied commands; "
      "the open backend links run as the previous backend user, so scripts are refused until "
      "Funnel restarts");
  return directory;
}

// The backend user lacks the deny list, less what any enabled user is given back by name; a
// user may run scripts only if it has everything that backend user has (docs/security.md#scripts).
void UserDirectory::decide_script_rights() {
  backend_user_.denied = policy_.names();
  for (const auto& user : users_) {
    if (!user->enabled()) continue;
    for (const CommandRule& rule : user->rules().commands) {
      if (rule.target != CommandRule::Target::kCommand || !rule.allow) continue;
      const bool denied =
          std::any_of(backend_user_.denied.begin(), backend_user_.denied.end(),
                      [&](const std::string& n) { return overlaps(rule.command, n); });
      auto& granted = backend_user_.granted;
      if (denied && names_allowed(user->rules(), rule.command) &&
          std::find(granted.begin(), granted.end(), rule.command) == granted.end()) {
        granted.push_back(rule.command);
      }
    }
  }
  for (const auto& user : users_) user->script_rights_ = script_rights_for(*user);
}

ScriptRights UserDirectory::script_rights_for(const User& user) const {
  // A script runs as the link's backend user, which has every key and channel.
  if (!user.all_data()) return ScriptRights::kKeyPatterns;
  if (!user.all_commands()) return ScriptRights::kCommandRules;
  for (const std::string& name : backend_user_.granted) {
    if (!names_allowed(user.rules(), name)) return ScriptRights::kMissingGrants;
  }
  return ScriptRights::kAll;
}

std::shared_ptr<const User> UserDirectory::make_backend_user(std::string name,
                                                             UserRules rules) const {
  auto user = std::make_shared<User>(std::move(name), std::move(rules));
  user->from_backend_ = true;
  user->script_rights_ = script_rights_for(*user);
  return user;
}

const User* UserDirectory::find(std::string_view name) const {
  for (const auto& user : users_) {
    if (user->name() == name) return user.get();
  }
  return nullptr;
}

bool UserDirectory::default_is_nopass() const {
  const User* user = find("default");
  return user != nullptr && user->enabled() && user->nopass();
}

const User* UserDirectory::authenticate(std::string_view name, std::string_view password) const {
  const User* user = find(name);
  // Hash even for an unknown user, so a wrong name costs the same time as a wrong password.
  if (user == nullptr) {
    (void)sha256(password);
    return nullptr;
  }
  const bool match = user->password_matches(password);
  return match && user->enabled() ? user : nullptr;
}

}  // namespace funnel::security
