// Keyless commands in cluster mode (issue #16, item 5; docs/cluster.md's keyless table): the ones
// a client expects one answer from across the whole keyspace are sent to every primary (or every
// node, for scripts and functions that replicas must also know, since reads may run EVALSHA_RO
// there) and their replies merged as one Redis would answer. Every other keyless command keeps
// its single-node route (slot 0's primary, or Funnel's own answer). No I/O.
#pragma once

#include "command/command_table.hpp"
#include "plan/plan.hpp"

namespace funnel::plan {

// The fan-out of a keyless command (`count` 0: none, route it as a single node would).
FanOut keyless_fan_out(const command::CommandSpec& spec);

}  // namespace funnel::plan
