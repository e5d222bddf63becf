// Carrying out a parsed funnel-storm command: resolve and check the endpoints, seed the hash,
// run (run, compare or probe), then write result.json and report.html and print the summary.
#pragma once

#include "storm/cli.hpp"

namespace funnel::storm {

// Returns the process exit code: 0 when the command ran (whatever the storm's outcome), 1 when
// it could not (unreachable endpoint, unwritable --out), 2 for a refused target.
int execute(const CliCommand& command);

}  // namespace funnel::storm
