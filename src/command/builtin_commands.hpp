// Private to the command module: the compact rows of the generated bootstrap table
// (builtin_commands.cpp, made by scripts/gen-builtin-commands.py) that CommandTable::builtin()
// expands into CommandSpecs once.
#pragma once

#include <cstdint>
#include <span>

#include "command/command_table.hpp"

namespace funnel::command {

// One command or subcommand. A container row is followed by its subcommand_count subcommand rows.
struct BuiltinRow {
  const char* name;  // lower case; subcommands as "container|sub"
  std::int16_t arity;
  std::uint32_t flags;  // Flag bits
  std::uint32_t acl;    // AclCategory bits
  std::int8_t first_key, last_key, key_step;
  std::uint8_t subcommand_count;
};

// ORs enumerators of Flag or AclCategory into their bit set; bits() is 0.
template <typename... Bits>
constexpr std::uint32_t bits(Bits... b) {
  return (0u | ... | static_cast<std::uint32_t>(b));
}

std::span<const BuiltinRow> builtin_rows();
extern const char kBuiltinSource[];  // e.g. "redis-server 7.0.15"

}  // namespace funnel::command
