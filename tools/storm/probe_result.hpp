// The probe scenario's results and its decisions: whether a rate step was sustained, whether
// funnel-storm itself (not the target) was the limit, and the highest sustainable rate. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storm/stats.hpp"

namespace funnel::storm {

struct ProbeLimits {
  double p99_ms = 25;             // a step whose p99 latency exceeds this fails
  double max_error_rate = 0.001;  // a step with a larger failed share fails
  double min_achieved = 0.9;      // a step reaching less of its target rate was not sustained
  double storm_cpu_share = 0.8;   // storm using this share of the machine's cores is the limit
  // On a saturated machine (busy above this share of its cores), storm taking at least
  // storm_busy_share of the busy CPU competed with the target: it is flagged as the limit too.
  double saturated_share = 0.9;
  double storm_busy_share = 0.4;
};

struct ProbeStep {
  double target_rate = 0;    // new invocations per second asked for
  double achieved_rate = 0;  // completed per second
  std::uint64_t invocations = 0;
  std::uint64_t failed = 0;
  Percentiles latency_ms;
  double storm_cpu_cores = 0;     // funnel-storm's CPU use during the step, in cores
  double machine_busy_cores = 0;  // the whole machine's (target included), -1 if unknown
  bool passed = false;
  bool storm_limited = false;  // funnel-storm, not the target, was the bottleneck
  std::string verdict;         // one line: why it passed or failed
};

struct ProbeResult {
  std::string path;    // "direct" or "funnel"
  std::string target;  // HOST:PORT
  ProbeLimits limits;
  int cores = 1;
  std::vector<ProbeStep> steps;
  double sustainable_rate = 0;  // achieved rate of the last passing step (0 if none passed)
  bool storm_limited = false;   // the probe ended on a step where funnel-storm was the limit
  bool interrupted = false;     // SIGINT/SIGTERM ended it (the cut-short step is left out)
  std::string stop_reason;
};

// Fills step.passed, step.storm_limited and step.verdict from its measurements.
void judge_step(ProbeStep& step, const ProbeLimits& limits, int cores);
// Sets sustainable_rate, storm_limited and stop_reason from the steps run so far (the probe
// stops after the first failed step).
void conclude_probe(ProbeResult& result);

}  // namespace funnel::storm
