// The global command deny list: commands an application must not send through a shared proxy
// (FLUSHALL, CONFIG, SHUTDOWN ...). One place of truth for what is refused for policy reasons;
// classify() separately refuses what a shared backend link cannot carry. No I/O.
#pragma once

#include <bitset>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.hpp"
#include "security/script_policy.hpp"

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
  // One bit test: false when neither the deny list nor the script rules can apply to this
  // command (access_needs_check's fast path). Id 0 ("other") is always checked.
  bool may_apply(const command::CommandSpec& spec) const {
    return spec.id == 0 || checked_.test(spec.id);
  }
  // Whether the command's id is a script command's (EVAL ..., FCALL ..., FUNCTION): cheap
  // before script_command()'s name compares.
  bool script_id(const command::CommandSpec& spec) const { return scripts_.test(spec.id); }
  // Whether the backend enforces the deny list inside scripts (shared with the backend links,
  // which report what their handshakes found).
  ScriptGate& gate() const { return *gate_; }
  const std::shared_ptr<ScriptGate>& gate_ptr() const { return gate_; }
  // A reload that keeps the backend user keeps the gate the links report to (UserDirectory).
  void share_gate(std::shared_ptr<ScriptGate> gate) { gate_ = std::move(gate); }

 private:
  void add(std::string_view name);
  void remove(std::string_view name);
  void rebuild_ids();

  std::vector<std::string> names_;
  std::vector<std::string> sorted_;               // names_ sorted, for denies()
  std::bitset<command::kMaxCommandIds> maybe_;    // top-level ids with a denied name under them
  std::bitset<command::kMaxCommandIds> whole_;    // ids of commands denied whole ("config")
  std::bitset<command::kMaxCommandIds> scripts_;  // eval ..., fcall ..., function
  std::bitset<command::kMaxCommandIds> checked_;  // maybe_ | scripts_
  std::shared_ptr<ScriptGate> gate_ = std::make_shared<ScriptGate>();
};

}  // namespace funnel::security
