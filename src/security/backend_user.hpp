// The backend ACL user Funnel's data links log in as, so the deny list holds inside scripts too
// (Redis runs a script with its connection's user). Every link's handshake provisions it
// (ACL SETUSER ... then AUTH), so a restarted backend gets it back with the next connection.
// Its name and password are derived from the configuration, so several Funnel instances with
// the same configuration agree and never reset each other's password. No I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.hpp"

namespace funnel::security {

// What the backend user must lack: the deny list's names, less what some client user is given
// back by name (+flushdb): those must still reach the backend for that user.
struct BackendUserSpec {
  std::vector<std::string> denied;   // "flushall", "client|kill" ...
  std::vector<std::string> granted;  // names overlapping `denied` that a user's rules give back
  bool operator==(const BackendUserSpec&) const = default;
};

struct BackendUserPlan {
  std::string name;                // "funnel-<16 hex digits of the rules' SHA-256>"
  std::vector<std::string> rules;  // "+@all", "-flushall", ..., "+config|get"
};

// The plan for one backend whose command table is `table` (null: keep every name). Names the
// table does not know are left out: ACL SETUSER refuses unknown names, and a command the backend
// lacks cannot be called from a script either.
BackendUserPlan plan_backend_user(const BackendUserSpec& spec, const command::CommandTable* table);

// The user's password: HMAC-SHA256(backend password, name) in hex, so it follows a rotation of
// the backend password; empty (the user is nopass) when Funnel has no backend password.
std::string backend_user_password(const std::string* backend_password, std::string_view name);

// ACL SETUSER's arguments after "ACL SETUSER": name reset on #<sha256 of password>|nopass ~* &*
// and the rules. The password itself never travels in ACL SETUSER (only its hash).
std::vector<std::string> setuser_arguments(const BackendUserPlan& plan, std::string_view password);

}  // namespace funnel::security
