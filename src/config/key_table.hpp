// Internal to the config module: one row per configuration key (its TOML place, type, range and
// overriding flag). The TOML loader, the command line and the docs test all read this one table.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/value_text.hpp"

namespace funnel::config {

enum class KeyKind {
  kInteger,      // a whole number in [min, max]
  kSize,         // bytes: an integer, or a string with a unit ("64mb", 1024-based)
  kAddress,      // "host:port"; for optional addresses "" means unset
  kText,         // a free string (a user name, a file path); "" means unset
  kLogLevel,     // one of kLogLevels
  kAddressList,  // a TOML array of "host:port" strings; a repeatable flag (each adds one)
  kChoice,       // a string, one of `choices` (lower-cased)
};

inline constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
// The spellings of routing::ReadPolicy (routing/read_policy.cpp); config stays a leaf module.
inline constexpr std::string_view kReadPolicies[] = {"primary", "prefer-replica", "replica", "any",
                                                     "prefer-local-zone"};
inline constexpr std::string_view kIamServices[] = {"elasticache", "memorydb"};
inline constexpr std::string_view kServerlessModes[] = {"auto", "on", "off"};
inline constexpr std::string_view kReadYourWritesScopes[] = {"off", "client", "process"};

// Exactly one field accessor is set, matching `kind` (the address kinds use one of the two).
struct KeySpec {
  std::string_view table = {};
  std::string_view name = {};
  KeyKind kind = KeyKind::kInteger;
  std::string_view flag = {};  // the flag that overrides this key, "" when there is none
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  std::string_view unit = {};  // what the number means, shown with range errors
  std::uint32_t& (*u32)(Config&) = nullptr;
  std::uint64_t& (*u64)(Config&) = nullptr;
  std::string& (*text)(Config&) = nullptr;
  HostPort& (*address)(Config&) = nullptr;
  std::optional<HostPort>& (*optional_address)(Config&) = nullptr;
  std::vector<HostPort>& (*address_list)(Config&) = nullptr;
  std::span<const std::string_view> choices = {};  // kChoice: the accepted words

  std::string key() const;  // "table.name"
};

std::span<const KeySpec> all_keys();
std::span<const std::string_view> all_tables();  // in the order they are documented
const KeySpec* find_key(std::string_view table, std::string_view name);

// Store a value given as a TOML integer. Throws ConfigError (type or range) naming `what`.
void apply_integer(const KeySpec& spec, Config& config, std::int64_t value,
                   const std::string& what);
// Store a value given as text: a TOML string, or any flag (flags are always text, so numbers are
// parsed here when `what` is a flag). Throws ConfigError naming `what`.
void apply_text(const KeySpec& spec, Config& config, const std::string& text,
                const std::string& what);
// Store a list value (kAddressList): a TOML array's strings, or every occurrence of a repeatable
// flag. Replaces what was there, so flags override the file. Throws ConfigError naming `what`.
void apply_list(const KeySpec& spec, Config& config, std::span<const std::string> items,
                const std::string& what);
// Range-check a numeric key's current value (for configs built in code). Throws ConfigError.
void check_range(const KeySpec& spec, Config& config);

// The expected type in words, for type errors: "an integer (milliseconds)".
std::string expected_type(const KeySpec& spec);
// The current value of a key as TOML would write it: 5000, "64mb", "127.0.0.1:6380".
std::string current_value(const KeySpec& spec, Config& config);

}  // namespace funnel::config
