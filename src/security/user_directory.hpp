// The client users Funnel knows: the default user (from auth.requirepass, or open when no
// password is set) and the [[users]] entries, plus the global command policy. Built once at
// start from the config; immutable and shared by every worker (std::shared_ptr<const ...>).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "security/acl_rules.hpp"
#include "security/backend_user.hpp"
#include "security/command_policy.hpp"
#include "security/script_policy.hpp"
#include "security/user_limits.hpp"

namespace funnel::security {

class User {
 public:
  User(std::string name, UserRules rules);
  const std::string& name() const { return name_; }
  const UserRules& rules() const { return rules_; }
  bool enabled() const { return rules_.enabled; }
  bool nopass() const { return rules_.nopass; }
  bool all_commands() const { return all_commands_; }
  bool all_keys() const { return rules_.all_keys; }
  bool all_channels() const { return rules_.all_channels; }
  // Every key and every channel: the per-request check may skip both.
  bool all_data() const { return all_data_; }
  // Read from the backend (auth.users_from_backend) rather than configured in Funnel.
  bool from_backend() const { return from_backend_; }
  // Whether this user may run scripts as far as its own rules go (script_policy.hpp).
  ScriptRights script_rights() const { return script_rights_; }
  // Constant-time over the stored hashes: hashes the password once and compares every digest.
  bool password_matches(std::string_view password) const;
  // Fair admission (user_limits.hpp): the limits, and the counts every worker shares (kept
  // across reloads for the same name).
  const UserLimits& limits() const { return limits_; }
  UserCounters& counters() const { return *counters_; }
  // The same counters, kept alive by a holder that may outlive this user (a reload).
  const std::shared_ptr<UserCounters>& shared_counters() const { return counters_; }

 private:
  std::string name_;
  UserRules rules_;
  UserLimits limits_;
  std::shared_ptr<UserCounters> counters_ = std::make_shared<UserCounters>();
  bool all_commands_ = false;
  bool all_data_ = false;
  bool from_backend_ = false;
  ScriptRights script_rights_ = ScriptRights::kAll;
  friend class UserDirectory;
};

class UserDirectory {
 public:
  // Builds the directory from auth.requirepass, auth.users and auth.deny_commands. Throws
  // config::ConfigError naming the user and the rule when something is invalid.
  static std::shared_ptr<const UserDirectory> build(const config::AuthConfig& auth);
  // The same for a configuration reload while `running` serves. The open backend links were
  // provisioned for running's backend user, so: the same backend user keeps running's script
  // gate (what the links found); another one refuses scripts until a restart, unless the new
  // deny list needs no enforcing. Throws as build() does.
  static std::shared_ptr<const UserDirectory> rebuild(const config::AuthConfig& auth,
                                                      const UserDirectory& running);

  // The user a new connection acts as before any AUTH: the default user when it is enabled and
  // needs no password; nullptr when clients must authenticate.
  const User* initial_user() const { return initial_; }
  // The user these credentials log in as; nullptr for an unknown user, a disabled user or a
  // wrong password (the caller answers WRONGPASS for all three, as Redis does).
  const User* authenticate(std::string_view name, std::string_view password) const;
  // True when the default user takes any password (AUTH <password> is then an error in Redis).
  bool default_is_nopass() const;
  const CommandPolicy& policy() const { return policy_; }
  const User* find(std::string_view name) const;
  // Every user, in configuration order (the default user last unless configured).
  const std::vector<std::unique_ptr<User>>& users() const { return users_; }
  // A user read from the backend (backend_acl.hpp), with its script rights decided as a
  // configured user's would be against this directory's backend user.
  std::shared_ptr<const User> make_backend_user(std::string name, UserRules rules) const;
  // What the backend user of the data links must lack (backend_user.hpp).
  const BackendUserSpec& backend_user_spec() const { return backend_user_; }

 private:
  void decide_script_rights();
  ScriptRights script_rights_for(const User& user) const;

  std::vector<std::unique_ptr<User>> users_;
  const User* initial_ = nullptr;
  CommandPolicy policy_;
  BackendUserSpec backend_user_;
};

}  // namespace funnel::security
