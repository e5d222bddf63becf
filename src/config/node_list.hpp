// Internal to the config module: [[topology.nodes]], the per-node settings (issue #19): read from
// TOML by the loader, checked by finalize().
#pragma once

#include "config/config.hpp"

namespace funnel::config {

// Every entry names a node once and only nodes the configuration can know: with backend.address
// (and topology.replicas) as the source, one of those addresses. Zones are one word. Also
// resolves server.zone from AWS_AVAILABILITY_ZONE and requires a zone for prefer-local-zone.
void check_node_list(Config& config);

}  // namespace funnel::config
