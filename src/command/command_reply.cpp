// Loads a CommandTable from a backend's COMMAND (or COMMAND INFO) reply, RESP2 or RESP3, Redis
// 6.0+ and Valkey layouts. Runs off the hot path; any malformed reply yields an error, never a
// throw.
#include <limits>
#include <string>

#include "command/ascii.hpp"
#include "command/command_table.hpp"

namespace funnel::command {
namespace {

using resp::Value;
using resp::ValueType;

// Flags and ACL categories are an array in RESP2 and a set in RESP3.
bool is_list(const Value& v) {
  return v.type == ValueType::kArray || v.type == ValueType::kSet;
}

bool read_int(const Value& v, int& out) {
  if (v.type != ValueType::kInteger || v.integer < std::numeric_limits<int>::min() ||
      v.integer > std::numeric_limits<int>::max()) {
    return false;
  }
  out = static_cast<int>(v.integer);
  return true;
}

// Unknown names map to no bit, so a newer server's flags load rather than fail.
bool read_names(const Value& v, std::uint32_t (*to_bit)(std::string_view), std::uint32_t& out) {
  if (!is_list(v)) return false;
  for (const Value& name : v.elems) {
    const auto text = name.as_string();
    if (!text) return false;
    out |= to_bit(*text);
  }
  return true;
}

// Reads one entry: [name, arity, flags, first_key, last_key, step, acl (6.0+), tips, key_specs,
// subcommands (7.0+)]. `parent` is the container's name for a subcommand, empty otherwise; only
// one level of subcommands exists in Redis, so deeper ones are ignored (and bound the recursion).
bool read_entry(const Value& v, std::string_view parent, CommandSpec& out, std::string& why);

bool read_subcommands(const Value& v, CommandSpec& container, std::string& why) {
  if (v.is_null()) return true;
  if (!is_list(v)) {
    why = "subcommands are not an array";
    return false;
  }
  container.subcommands.resize(v.elems.size());
  for (std::size_t i = 0; i < v.elems.size(); ++i) {
    if (!read_entry(v.elems[i], container.name, container.subcommands[i], why)) return false;
  }
  return true;
}

bool read_entry(const Value& v, std::string_view parent, CommandSpec& out, std::string& why) {
  if (!is_list(v) || v.elems.size() < 6) {
    why = "an entry is not an array of at least 6 elements";
    return false;
  }
  const std::vector<Value>& e = v.elems;
  const auto name = e[0].as_string();
  if (!name || name->empty()) {
    why = "an entry has no command name";
    return false;
  }
  out.name.clear();
  // Redis 7 names subcommands "container|sub" already; prefix any that are not.
  if (!parent.empty() && name->find('|') == std::string_view::npos) {
    out.name.append(parent).push_back('|');
  }
  for (char c : *name) out.name.push_back(ascii_lower(c));
  const char* bad = nullptr;
  if (!read_int(e[1], out.arity)) {
    bad = "arity is not an integer";
  } else if (!read_names(e[2], flag_from_name, out.flags)) {
    bad = "flags are not a list of names";
  } else if (!read_int(e[3], out.first_key) || !read_int(e[4], out.last_key) ||
             !read_int(e[5], out.key_step)) {
    bad = "key positions are not integers";
  } else if (e.size() > 6 && !read_names(e[6], acl_category_from_name, out.acl)) {
    bad = "ACL categories are not a list of names";
  }
  if (bad != nullptr) {
    why = "entry '" + out.name + "': " + bad;
    return false;
  }
  if (parent.empty() && e.size() > 9) return read_subcommands(e[9], out, why);
  return true;
}

bool read_reply(const Value& reply, std::vector<CommandSpec>& specs, std::string& why) {
  if (reply.is_error()) {
    why = "COMMAND failed: " + reply.str;
    return false;
  }
  if (!is_list(reply)) {
    why = "COMMAND reply is not an array";
    return false;
  }
  specs.reserve(reply.elems.size());
  for (const Value& entry : reply.elems) {
    if (entry.is_null()) continue;  // COMMAND INFO's answer for a name the server does not know
    specs.emplace_back();
    if (!read_entry(entry, {}, specs.back(), why)) {
      why = "malformed COMMAND reply: " + why;
      return false;
    }
  }
  if (specs.empty()) {
    why = "COMMAND reply lists no commands";
    return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<const CommandTable> CommandTable::from_command_reply(const resp::Value& reply,
                                                                     std::string* error) {
  std::vector<CommandSpec> specs;
  std::string why;
  if (!read_reply(reply, specs, why)) {
    if (error != nullptr) *error = std::move(why);
    return nullptr;
  }
  return std::make_shared<const CommandTable>(std::move(specs));
}

}  // namespace funnel::command
