// The probe scenario, the storm-readiness check: new short-lived invocations (connect, one
// command, QUIT) at a rate raised step by step until p99 latency or the error rate crosses its
// threshold; the highest rate that held is what the endpoint survives. Also watches
// funnel-storm's own CPU use, because on a small machine the generator can be the limit.
#pragma once

#include "storm/probe_result.hpp"
#include "storm/run_engine.hpp"

namespace funnel::storm {

struct ProbeOptions {
  double start_rate = 250;  // new invocations per second in the first step
  double growth = 1.5;      // each step's rate is the previous one times this
  double max_rate = 20000;  // no step above this
  double step_s = 3;        // seconds per step
  int containers = 64;      // fleet size cap for each step
  ProbeLimits limits;
};

// "" if the options are valid, otherwise one line naming the flag.
std::string validate(const ProbeOptions& options);

// Probes target with base's command mix and timeouts (its profile, strategy and think time are
// replaced by the probe's). Every step is a bounded run of its own.
ProbeResult run_probe(const Scenario& base, const RunTarget& target, const ProbeOptions& options,
                      const EngineOptions& engine);

}  // namespace funnel::storm
