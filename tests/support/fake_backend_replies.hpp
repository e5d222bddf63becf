// Test fixtures (funnel::test): FakeBackend's built-in answers to the commands Funnel sends while
// setting up a backend link, shaped like Redis 7.0.15's replies in RESP2 and RESP3.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace funnel::test {

struct FakeSession {
  int id = 0;        // CLIENT ID / HELLO id
  int protocol = 2;  // switched by HELLO 3
  bool authenticated = false;
  std::string name;  // CLIENT SETNAME / HELLO SETNAME
  std::string zone;  // non-empty: HELLO's reply adds availability_zone (Valkey 8.1+)
};

// The built-in reply to args (uppercase or not) or nullopt if the command is not one of the
// handshake commands (HELLO, AUTH, CLIENT SETNAME, PING, COMMAND, INFO, SELECT). Updates session.
// password: empty = no password set.
std::optional<std::string> handshake_reply(const std::vector<std::string>& args,
                                           FakeSession& session, const std::string& password);

// Redis's reply when a password is set and the client has not authenticated, or nullopt if the
// command may run.
std::optional<std::string> auth_required_reply(const std::vector<std::string>& args,
                                               const FakeSession& session,
                                               const std::string& password);

// "-ERR unknown command 'x', with args beginning with: 'a' " as redis-server 7 words it.
std::string unknown_command_reply(const std::vector<std::string>& args);

}  // namespace funnel::test
