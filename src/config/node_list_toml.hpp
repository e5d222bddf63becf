// Internal to the config module: reading [[topology.nodes]] from TOML (toml_loader.cpp), apart
// from node_list.hpp so that finalize() does not include toml++.
#pragma once

#include <toml++/toml.h>

#include "config/config.hpp"

namespace funnel::config {

// Appends the entries of the array `node` (topology.nodes) to config.topology.nodes. Throws
// ConfigError naming the entry and field for a wrong type or an unknown field.
void load_node_list(Config& config, const toml::node& node);

}  // namespace funnel::config
