// Link handshake encoding and interpretation (see handshake.hpp).
#include "backend/handshake.hpp"

#include <vector>

namespace funnel::backend {
namespace {

void append_bulk(std::string& out, std::string_view arg) {
  out += '$';
  out += std::to_string(arg.size());
  out += "\r\n";
  out.append(arg);
  out += "\r\n";
}

}  // namespace

std::string encode_args(const std::vector<std::string_view>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (auto arg : args) append_bulk(out, arg);
  return out;
}

std::string encode_command(std::initializer_list<std::string_view> args) {
  return encode_args(std::vector<std::string_view>(args));
}

std::optional<Provisioning> make_provisioning(const security::BackendUserSpec* spec,
                                              const security::ScriptGate* gate,
                                              const std::string* backend_password,
                                              const command::CommandTable* table) {
  if (spec == nullptr || gate == nullptr || !gate->provisions()) return std::nullopt;
  const security::BackendUserPlan plan = security::plan_backend_user(*spec, table);
  const std::string password = security::backend_user_password(backend_password, plan.name);
  Provisioning out;
  out.setuser = security::setuser_arguments(plan, password);
  // A nopass user takes any password; AUTH still needs one.
  out.auth = encode_command({"AUTH", plan.name, password.empty() ? "nopass" : password});
  return out;
}

std::string encode_handshake(resp::Protocol protocol, std::string_view user,
                             const std::string* password, std::string_view link_name,
                             std::uint32_t db, const Provisioning* provisioning) {
  std::vector<std::string_view> args{"HELLO", protocol == resp::Protocol::kResp3 ? "3" : "2"};
  if (password != nullptr) {
    args.insert(args.end(), {"AUTH", user.empty() ? std::string_view("default") : user, *password});
  }
  args.insert(args.end(), {"SETNAME", link_name});
  std::string out = encode_args(args);
  if (provisioning != nullptr) {
    std::vector<std::string_view> setuser{"ACL", "SETUSER"};
    for (const std::string& arg : provisioning->setuser) setuser.push_back(arg);
    out += encode_args(setuser);
    out += provisioning->auth;
  }
  if (db != 0) {
    const std::string number = std::to_string(db);
    out += encode_args({"SELECT", number});
  }
  return out;
}

HandshakeResult interpret_select_reply(std::string_view reply_bytes) {
  HandshakeResult result;
  if (reply_bytes.starts_with("+OK")) {
    result.ok = true;
  } else {
    const std::size_t end = reply_bytes.find('\r');
    result.error =
        std::string(reply_bytes.substr(1, end == std::string_view::npos ? end : end - 1));
  }
  return result;
}

HandshakeResult interpret_handshake_reply(std::string_view reply_bytes) {
  HandshakeResult result;
  resp::Value value;
  std::size_t consumed = 0;
  if (resp::parse_value(reply_bytes, value, consumed) != resp::ValueStatus::kComplete) {
    result.error = "unreadable HELLO reply";
    return result;
  }
  if (value.is_error()) {
    result.error = value.str;
    return result;
  }
  if (const resp::Value* version = value.find("version")) {
    if (auto text = version->as_string()) result.redis_version = std::string(*text);
  }
  result.ok = true;
  return result;
}

}  // namespace funnel::backend
