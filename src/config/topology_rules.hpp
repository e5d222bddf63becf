// Internal to the config module: the [topology] rules that span keys (one backend source at a
// time, Sentinel's name and credentials, addresses that must differ), applied by finalize().
#pragma once

#include "config/config.hpp"

namespace funnel::config {

// Requires exactly one source of nodes: backend.address (alone or with topology.replicas),
// topology.discover, or topology.sentinels with topology.sentinel_master. Reads the Sentinel
// password (sentinel_password_file, else FUNNEL_SENTINEL_PASSWORD) when Sentinel is the source.
// Throws ConfigError naming the keys, their flags and what to do; never shows a secret.
void check_topology(Config& config);

}  // namespace funnel::config
