// Which configuration keys a reload (SIGHUP, FUNNEL RELOAD, POST /reload; issue #17, item 1)
// applies live and which wait for a restart: one row per key of the key table, with the reason.
// The reload diff, the docs test (the "reload" column of docs/configuration.md) and the code
// that copies the live values into the running configuration all read this one table. No I/O.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace funnel::config {

enum class ReloadWhen : unsigned char {
  kLive,     // a reload applies it: new requests (or new links, new AUTHs) use the new value
  kRestart,  // a reload reports it by name and keeps the running value
};

struct ReloadRule {
  std::string_view
      key;  // "table.name", as KeySpec::key(); "auth.users" for [[users]], "topology.nodes" for
            // [[topology.nodes]]
  ReloadWhen when = ReloadWhen::kRestart;
};

std::span<const ReloadRule> reload_rules();
// The rule for `key`; null when the key is not classified (a unit test forbids that).
const ReloadRule* find_reload_rule(std::string_view key);
bool reloads_live(std::string_view key);
// "live" or "restart": the word docs/configuration.md shows in its reload column.
std::string_view reload_word(ReloadWhen when);

// Copies the value of every live key of the key table from `next` into `running` (the secrets
// that live keys name, auth.requirepass and backend.password, and [[users]] too), leaving the
// restart-only keys as they run. The caller applies the values to the running process.
void copy_live_keys(const Config& next, Config& running);
// The same for the named keys only (a ReloadDiff's `live`), with the same secrets by the key
// naming them ("auth.requirepass_file", "backend.password_file") and "auth.users".
void copy_keys(const Config& next, Config& running, std::span<const std::string> keys);

}  // namespace funnel::config
