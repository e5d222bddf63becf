// funnel-storm's command line: `run`, `compare` and `probe`, with the scenario flags they
// share. Parsing only; commands.cpp carries them out.
#pragma once

#include <string>

#include "storm/probe.hpp"
#include "storm/scenario.hpp"

namespace funnel::storm {

struct CliCommand {
  enum class Mode { kRun, kCompare, kProbe, kExit };
  Mode mode = Mode::kExit;
  int exit_code = 0;  // for kExit (help, version, a usage error already printed)
  Scenario scenario;
  ProbeOptions probe;
  std::string backend;       // HOST:PORT of the Redis backend
  std::string via;           // HOST:PORT of Funnel in front of it ("" if none)
  std::string funnel_admin;  // HOST:PORT of Funnel's admin endpoint, for /metrics ("" if none)
  std::string out_dir = "storm-out";
  bool allow_remote = false;
  bool quiet = false;
  bool seed = true;
};

// Parses argv. Help, version and usage errors are printed here and returned as kExit.
CliCommand parse_cli(int argc, char** argv);

}  // namespace funnel::storm
