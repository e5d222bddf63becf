// The first exchange on every backend link: HELLO <protocol> [AUTH user password] SETNAME <name>,
// so the link speaks the clients' protocol, is authenticated (also after every reconnect) and
// shows up by name in the backend's CLIENT LIST. Data links then provision the backend user
// that lacks the deny list and log in as it (ACL SETUSER ..., AUTH name password:
// security/backend_user.hpp), so the deny list holds inside scripts. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resp/value.hpp"
#include "resp/writer.hpp"
#include "security/backend_user.hpp"
#include "security/script_policy.hpp"

namespace funnel::backend {

// The provisioning part of a data link's handshake: ACL SETUSER <setuser...>, then AUTH as it.
struct Provisioning {
  std::vector<std::string> setuser;  // the arguments after "ACL SETUSER"
  std::string auth;                  // "AUTH <name> <password>", encoded (also for pinned RESETs)
};
// Null when the backend user is not needed (empty deny list, auth.backend_enforces_deny_list)
// or `spec` is null. `table` is the backend's command table (unknown names are left out).
std::optional<Provisioning> make_provisioning(const security::BackendUserSpec* spec,
                                              const security::ScriptGate* gate,
                                              const std::string* backend_password,
                                              const command::CommandTable* table);

// Encodes the handshake request as multibulk. With `provisioning`, ACL SETUSER and AUTH follow
// HELLO; a link of another database than 0 adds SELECT <db> last (see handshake_step()).
std::string encode_handshake(resp::Protocol protocol, std::string_view user,
                             const std::string* password, std::string_view link_name,
                             std::uint32_t db = 0, const Provisioning* provisioning = nullptr);
inline unsigned handshake_replies(std::uint32_t db, bool provisioning = false) {
  return 1 + (provisioning ? 2 : 0) + (db == 0 ? 0 : 1);
}
enum class HandshakeStep : std::uint8_t { kHello, kSetUser, kAuth, kSelect };
// Which request the `index`-th handshake reply answers.
inline HandshakeStep handshake_step(unsigned index, bool provisioning) {
  if (index == 0) return HandshakeStep::kHello;
  if (provisioning && index == 1) return HandshakeStep::kSetUser;
  if (provisioning && index == 2) return HandshakeStep::kAuth;
  return HandshakeStep::kSelect;
}

struct HandshakeResult {
  bool ok = false;
  std::string error;          // the backend's error text, secrets never included
  std::string redis_version;  // from the HELLO reply
};

HandshakeResult interpret_handshake_reply(std::string_view reply_bytes);
// The reply to the handshake's SELECT (or ACL SETUSER, AUTH): ok, or the backend's error.
HandshakeResult interpret_select_reply(std::string_view reply_bytes);

// Encodes any command as a multibulk request.
std::string encode_command(std::initializer_list<std::string_view> args);
std::string encode_args(const std::vector<std::string_view>& args);

}  // namespace funnel::backend
