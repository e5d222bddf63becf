// Test fixtures (funnel::test): FakeBackend's built-in handshake answers, byte for byte as
// redis-server 7.0.15 writes them (checked against a real one in tests/unit/support).
#include "support/fake_backend_replies.hpp"

#include <algorithm>
#include <cctype>

namespace funnel::test {
namespace {

constexpr char kWrongPass[] = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// append() rather than "$" + to_string(...): GCC 12 at -O3 warns (-Wrestrict) on the latter.
std::string header(char type, std::size_t n) {
  std::string out(1, type);
  return out.append(std::to_string(n)).append("\r\n");
}

std::string bulk(const std::string& s) {
  return header('$', s.size()).append(s).append("\r\n");
}

std::string hello_reply(const FakeSession& session) {
  const std::size_t fields = session.zone.empty() ? 7 : 8;
  std::string out =
      header(session.protocol == 3 ? '%' : '*', session.protocol == 3 ? fields : 2 * fields);
  out += bulk("server") + bulk("redis") + bulk("version") + bulk("7.0.15");
  out += bulk("proto") + header(':', static_cast<std::size_t>(session.protocol));
  out += bulk("id") + header(':', static_cast<std::size_t>(session.id));
  out += bulk("mode") + bulk("standalone") + bulk("role") + bulk("master");
  out += bulk("modules") + "*0\r\n";
  if (!session.zone.empty()) out += bulk("availability_zone") + bulk(session.zone);
  return out;
}

bool password_ok(const std::string& given, const std::string& password) {
  return password.empty() || given == password;
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
std::string hello(const std::vector<std::string>& args, FakeSession& session,
                  const std::string& password) {
  int protocol = session.protocol;
  if (args.size() >= 2) {
    if (args[1] != "2" && args[1] != "3") return "-NOPROTO unsupported protocol version\r\n";
    protocol = args[1][0] - '0';
  }
  std::string name = session.name;
  bool authenticated = session.authenticated;
  for (std::size_t i = 2; i < args.size(); ++i) {
    std::string option = upper(args[i]);
    if (option == "AUTH" && i + 2 < args.size()) {
      if (!password_ok(args[i + 2], password)) return kWrongPass;
      authenticated = true;
      i += 2;
    } else if (option == "SETNAME" && i + 1 < args.size()) {
      name = args[i + 1];
      i += 1;
    } else {
      return "-ERR Syntax error in HELLO option '" + args[i] + "'\r\n";
    }
  }
  if (!password.empty() && !authenticated) {
    return "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
           "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
           "select the RESP protocol version at the same time\r\n";
  }
  session.protocol = protocol;
  session.name = name;
  session.authenticated = authenticated;
  return hello_reply(session);
}

std::string info(const FakeSession& session) {
  const std::string text =
      "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n"
      "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n";
  if (session.protocol == 3) {
    return header('=', text.size() + 4).append("txt:").append(text).append("\r\n");
  }
  return bulk(text);
}

}  // namespace

std::string unknown_command_reply(const std::vector<std::string>& args) {
  std::string out =
      "-ERR unknown command '" + (args.empty() ? "" : args[0]) + "', with args beginning with: ";
  for (std::size_t i = 1; i < args.size(); ++i) out += "'" + args[i] + "' ";
  return out + "\r\n";
}

std::optional<std::string> auth_required_reply(const std::vector<std::string>& args,
                                               const FakeSession& session,
                                               const std::string& password) {
  if (password.empty() || session.authenticated || args.empty()) return std::nullopt;
  std::string name = upper(args[0]);
  if (name == "AUTH" || name == "HELLO") return std::nullopt;
  return "-NOAUTH Authentication required.\r\n";
}

std::optional<std::string> handshake_reply(const std::vector<std::string>& args,
                                           FakeSession& session, const std::string& password) {
  if (args.empty()) return std::nullopt;
  const std::string name = upper(args[0]);
  if (name == "HELLO") return hello(args, session, password);
  if (name == "AUTH" && (args.size() == 2 || args.size() == 3)) {
    if (!password_ok(args.back(), password)) return kWrongPass;
    session.authenticated = true;
    return "+OK\r\n";
  }
  if (name == "CLIENT" && args.size() == 3 && upper(args[1]) == "SETNAME") {
    session.name = args[2];
    return "+OK\r\n";
  }
  if (name == "PING" && args.size() <= 2) return args.size() == 2 ? bulk(args[1]) : "+PONG\r\n";
  if (name == "COMMAND" && args.size() == 1) return "*0\r\n";
  if (name == "INFO") return info(session);
  if (name == "SELECT" && args.size() == 2) return "+OK\r\n";
  return std::nullopt;
}

}  // namespace funnel::test
