// The first exchange on every backend link: HELLO <protocol> [AUTH user password] SETNAME <name>,
// so the link speaks the clients' protocol, is authenticated (also after every reconnect) and
// shows up by name in the backend's CLIENT LIST. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/value.hpp"
#include "resp/writer.hpp"

namespace funnel::backend {

// Encodes the handshake request as multibulk. A link of another database than 0 adds
// SELECT <db> after HELLO (two replies: see handshake_replies()).
std::string encode_handshake(resp::Protocol protocol, std::string_view user,
                             const std::string* password, std::string_view link_name,
                             std::uint32_t db = 0);
inline unsigned handshake_replies(std::uint32_t db) {
  return db == 0 ? 1 : 2;
}

struct HandshakeResult {
  bool ok = false;
  std::string error;          // the backend's error text, secrets never included
  std::string redis_version;  // from the HELLO reply
};

HandshakeResult interpret_handshake_reply(std::string_view reply_bytes);
// The reply to the handshake's SELECT: ok, or the backend's error.
HandshakeResult interpret_select_reply(std::string_view reply_bytes);

// Encodes any command as a multibulk request.
std::string encode_command(std::initializer_list<std::string_view> args);
std::string encode_args(const std::vector<std::string_view>& args);

}  // namespace funnel::backend
