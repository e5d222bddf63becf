// What a configuration reload (SIGHUP, FUNNEL RELOAD, POST /reload; issue #17, item 1) may apply:
// the keys whose value differs between the running configuration and the re-read one, split
// into those applied live and those that need a restart, each by name ("log.level"). No I/O.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace funnel::config {

struct ReloadDiff {
  std::vector<std::string> live;     // changed, applied without a restart
  std::vector<std::string> restart;  // changed, kept as they are until a restart
};

// Each changed key of the key table, and [[users]] as a whole ("auth.users"), under `live` or
// `restart` as the reload table says (reload_keys.hpp); a secret whose file or variable now
// holds another value counts as a change of the key naming it (auth.requirepass_file,
// backend.password_file). Values are never part of the result (some are secrets).
ReloadDiff diff_for_reload(const Config& running, const Config& next);

}  // namespace funnel::config
