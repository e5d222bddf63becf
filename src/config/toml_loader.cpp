// load_toml: parses the file with toml++ and maps each key through the key table into Config.
// Strict on purpose: an unknown key or table is an error, so a typo never silently keeps a default.
#include <algorithm>
#include <sstream>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"
#include "config/key_table.hpp"
#include "config/node_list_toml.hpp"
#include "config/value_text.hpp"

namespace funnel::config {
namespace {

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

std::vector<std::string_view> keys_of(std::string_view table) {
  std::vector<std::string_view> names;
  for (const KeySpec& spec : all_keys()) {
    if (spec.table == table) names.push_back(spec.name);
  }
  return names;
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// The value as the user wrote it (near enough), for "key = value" in messages.
std::string literal(const toml::node& node) {
  if (const auto* text = node.as_string()) return quote(text->get());
  if (node.is_table()) return "{...}";
  std::ostringstream out;
  node.visit([&](const auto& value) { out << value; });
  std::string shown = out.str();
  return shown.size() > 60 ? shown.substr(0, 57) + "..." : shown;
}

// Literal secrets would end up in backups, version control and `ps`-visible tooling.
void refuse_literal_secret(std::string_view table, std::string_view name) {
  std::string key = std::string(table) + "." + std::string(name);
  if (key == "backend.password") {
    throw ConfigError(key +
                      " is not supported: a password does not belong in the config file; "
                      "put it in a file and set backend.password_file, or set the "
                      "FUNNEL_BACKEND_PASSWORD environment variable");
  }
  if (key == "topology.sentinel_password") {
    throw ConfigError(key +
                      " is not supported: a password does not belong in the config file; "
                      "put it in a file and set topology.sentinel_password_file, or set the "
                      "FUNNEL_SENTINEL_PASSWORD environment variable");
  }
  if (key == "auth.requirepass" || key == "auth.password") {
    throw ConfigError(key +
                      " is not supported: a password does not belong in the config file; "
                      "put it in a file and set auth.requirepass_file, or set the "
                      "FUNNEL_REQUIREPASS environment variable");
  }
}

[[noreturn]] void unknown_key(std::string_view table, std::string_view name) {
  std::vector<std::string_view> valid = keys_of(table);
  std::string hint = closest(name, valid);
  std::string message = "unknown key " + std::string(table) + "." + std::string(name);
  if (!hint.empty()) message += " (did you mean " + std::string(table) + "." + hint + "?)";
  throw ConfigError(message + "; valid keys in [" + std::string(table) + "]: " + join(valid));
}

// A key outside any table: say which table it belongs in when we know it.
[[noreturn]] void top_level_key(std::string_view name) {
  std::vector<std::string_view> tables(all_tables().begin(), all_tables().end());
  for (const KeySpec& spec : all_keys()) {
    if (spec.name == name) {
      throw ConfigError("key " + std::string(name) + " must be inside a table: write it under [" +
                        std::string(spec.table) + "] (as " + spec.key() + ")");
    }
  }
  throw ConfigError("unknown key " + std::string(name) +
                    " at the top level; settings go in the "
                    "tables " +
                    join(tables));
}

[[noreturn]] void unknown_table(std::string_view name) {
  std::vector<std::string_view> tables(all_tables().begin(), all_tables().end());
  std::string hint = closest(name, tables);
  std::string message = "unknown table [" + std::string(name) + "]";
  if (!hint.empty()) message += " (did you mean [" + hint + "]?)";
  throw ConfigError(message + "; valid tables: " + join(tables));
}

// An array of "host:port" strings (topology.replicas, topology.sentinels).
void apply_array(const KeySpec& spec, Config& config, const toml::array& array) {
  std::vector<std::string> items;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const toml::node& item = *array.get(i);
    const auto* text = item.as_string();
    if (text == nullptr) {
      throw ConfigError(show(spec.key() + "[" + std::to_string(i) + "]", literal(item)) +
                        ": expected a string \"host:port\", got " + type_name(item));
    }
    items.push_back(text->get());
  }
  apply_list(spec, config, items, spec.key());
}

void apply_node(const KeySpec& spec, Config& config, const toml::node& node) {
  const std::string what = spec.key();
  if (const auto* array = node.as_array(); array && spec.kind == KeyKind::kAddressList) {
    return apply_array(spec, config, *array);
  }
  if (const auto* number = node.as_integer()) {
    return apply_integer(spec, config, number->get(), what);
  }
  if (const auto* text = node.as_string()) return apply_text(spec, config, text->get(), what);
  throw ConfigError(show(what, literal(node)) + ": expected " + expected_type(spec) + ", got " +
                    type_name(node));
}

void load_table(Config& config, std::string_view table_name, const toml::node& node) {
  const auto tables = all_tables();
  if (std::find(tables.begin(), tables.end(), table_name) == tables.end()) {
    if (!node.is_table()) top_level_key(table_name);
    unknown_table(table_name);
  }
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    throw ConfigError(show(std::string(table_name), literal(node)) + ": expected a table [" +
                      std::string(table_name) + "], got " + type_name(node));
  }
  for (auto&& [key, value] : *table) {
    refuse_literal_secret(table_name, key.str());
    if (table_name == "topology" && key.str() == "nodes") {
      load_node_list(config, value);
      continue;
    }
    const KeySpec* spec = find_key(table_name, key.str());
    if (spec == nullptr) unknown_key(table_name, key.str());
    apply_node(*spec, config, value);
  }
}

// [[users]]: an array of tables, each a named client user (docs/security.md).
// A user's admission limit (security/user_limits.hpp): a whole number, 0 for no limit.
void load_user_limit(UserConfig& user, const std::string& field, const toml::node& value,
                     const std::string& shown) {
  const auto* number = value.as_integer();
  if (number == nullptr || number->get() < 0 || number->get() > 100'000'000) {
    throw ConfigError(show(shown, literal(value)) +
                      ": expected a whole number from 0 (no limit) to 100000000");
  }
  const auto limit = static_cast<std::uint32_t>(number->get());
  if (field == "max_pinned") {
    user.max_pinned = limit;
  } else {
    (field == "max_connections" ? user.max_connections : user.max_commands_per_s) = limit;
  }
}

void load_user(Config& config, const toml::node& node, const std::string& where) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    throw ConfigError(where + ": expected a table ([[users]] with name = ..., rules = ...), got " +
                      type_name(node));
  }
  UserConfig user;
  static constexpr std::string_view kFields[] = {"name", "password_sha256", "password_file",
                                                 "password_env", "rules"};
  for (auto&& [key, value] : *table) {
    const std::string field(key.str());
    const std::string shown = where + "." + field;
    if (field == "password" || field == "requirepass") {
      throw ConfigError(shown +
                        " is not supported: a password does not belong in the config file; give "
                        "password_sha256 (its SHA-256), password_file or password_env");
    }
    if (field == "max_connections" || field == "max_commands_per_s" || field == "max_pinned") {
      load_user_limit(user, field, value, shown);
      continue;
    }
    const auto* text = value.as_string();
    if (std::find(std::begin(kFields), std::end(kFields), field) == std::end(kFields)) {
      throw ConfigError("unknown key " + shown +
                        "; valid keys in [[users]]: name, password_sha256, password_file, "
                        "password_env, rules, max_connections, max_commands_per_s, max_pinned");
    }
    if (text == nullptr) {
      throw ConfigError(show(shown, literal(value)) + ": expected a string, got " +
                        type_name(value));
    }
    const std::string& v = text->get();
    if (field == "name") user.name = v;
    if (field == "password_sha256") user.password_sha256 = v;
    if (field == "password_file") user.password_file = v;
    if (field == "password_env") user.password_env = v;
    if (field == "rules") user.rules = v;
  }
  config.auth.users.push_back(std::move(user));
}

void load_users(Config& config, const toml::node& node) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    throw ConfigError("users: expected an array of tables ([[users]] entries), got " +
                      type_name(node));
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    load_user(config, *array->get(i), "users[" + std::to_string(i) + "]");
  }
}

}  // namespace

Config load_toml(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    // toml++ says "Error while parsing ..."; fold that into one phrase.
    std::string_view description = error.description();
    std::string what = description.starts_with("Error ")
                           ? "TOML syntax error " + std::string(description.substr(6))
                           : "TOML syntax error: " + std::string(description);
    throw ConfigError(origin + ":" + std::to_string(where.line) + ":" +
                      std::to_string(where.column) + ": " + what);
  }
  Config config;
  try {
    for (auto&& [key, node] : root) {
      if (key.str() == "users") {
        load_users(config, node);
      } else {
        load_table(config, key.str(), node);
      }
    }
  } catch (const ConfigError& error) {
    throw ConfigError(origin + ": " + error.what());
  }
  return config;
}

}  // namespace funnel::config
