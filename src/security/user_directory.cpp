// UserDirectory::build and authentication.
#include "security/user_directory.hpp"

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

}  // namespace

User::User(std::string name, UserRules rules) : name_(std::move(name)), rules_(std::move(rules)) {
  all_commands_ = rules_allow_everything(rules_);
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
  }
  if (!has_default) {
    directory->users_.push_back(std::make_unique<User>("default", default_rules(auth)));
  }
  if (std::string error = directory->policy_.parse(auth.deny_commands); !error.empty()) {
    throw config::ConfigError("auth.deny_commands: " + error);
  }
  const User* default_user = directory->find("default");
  if (default_user->enabled() && default_user->nopass()) directory->initial_ = default_user;
  return directory;
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
