// The global command deny list: commands an application must not send through a shared proxy
// (FLUSHALL, CONFIG, SHUTDOWN ...). One place of truth for what is refused for policy reasons;
// classify() separately refuses what a shared backend link cannot carry. No I/O.
#pragma once

#include <bitset>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.hpp"

namespace funnel::security {

class CommandPolicy {
 public:
  // The built-in list that "@default" stands for (lower case; "container|sub" for subcommands).
  static std::span<const std::string_view> default_denied();

  // Parses auth.deny_commands: space-separated command names ("flushall", "cluster|meet"),
  // "@default" for the built-in list, "-name" to take a name out again. Returns "" on success,
  // else what is wrong.
  std::string parse(std::string_view text);

  // Whether the list names this command or its container. Cheap when it does not: a bit per
  // top-level command id answers most requests.
  bool denies(const command::CommandSpec& spec) const;
  const std::vector<std::string>& names() const { return names_; }

 private:
  void add(std::string_view name);
  void remove(std::string_view name);
  void rebuild_ids();

  std::vector<std::string> names_;
  std::bitset<command::kMaxCommandIds> maybe_;  // top-level ids with a denied name under them
};

}  // namespace funnel::security
