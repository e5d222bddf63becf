// The probe scenario (see probe.hpp).
#include "storm/probe.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "storm/machine_cpu.hpp"

namespace funnel::storm {

std::string validate(const ProbeOptions& o) {
  if (o.start_rate < 1 || o.start_rate > 100000) return "--probe-start-rate must be 1..100000";
  if (o.growth <= 1.05 || o.growth > 10) return "--probe-growth must be above 1.05 and at most 10";
  if (o.max_rate < o.start_rate || o.max_rate > 100000) {
    return "--probe-max-rate must be at least --probe-start-rate and at most 100000";
  }
  if (o.step_s < 1 || o.step_s > 60) return "--probe-step-s must be 1..60";
  if (o.containers < 1 || o.containers > kMaxContainers)
    return "--probe-containers must be 1..1000";
  if (o.limits.p99_ms <= 0) return "--probe-p99-ms must be positive";
  if (o.limits.max_error_rate < 0 || o.limits.max_error_rate >= 1) {
    return "--probe-max-error-rate must be in [0, 1)";
  }
  return "";
}

namespace {

ProbeStep measure_step(const Scenario& base, const RunTarget& target, double rate,
                       const ProbeOptions& options, const EngineOptions& engine, int cores,
                       bool& interrupted) {
  Scenario s = base;
  s.profile = ProfileKind::kConstant;
  s.strategy = Strategy::kPerInvocation;
  s.rate = rate;
  s.duration_s = options.step_s;
  s.think_ms = 0;
  s.containers = options.containers;
  s.max_invocations = static_cast<std::uint64_t>(rate * options.step_s) + 1;
  RunTarget step_target = target;
  step_target.path = fmt::format("{} {:.0f}/s", target.path, rate);
  const auto cpu_before = read_machine_cpu();
  const RunResult run = run_storm(s, step_target, engine);
  const auto cpu_after = read_machine_cpu();
  ProbeStep step;
  step.target_rate = rate;
  interrupted = run.totals.stopped_early == kInterrupted;
  step.invocations = run.totals.invocations;
  step.failed = run.totals.failed;
  step.latency_ms = run.totals.latency_ms;
  // A generator that falls behind finishes its arrivals late: count the rate over the real span.
  const double span = std::max(options.step_s, run.totals.last_end_s);
  step.achieved_rate = static_cast<double>(run.totals.invocations) / span;
  step.storm_cpu_cores = run.totals.wall_s > 0 ? run.totals.storm_cpu_s / run.totals.wall_s : 0;
  step.machine_busy_cores =
      cpu_before && cpu_after ? busy_cores(*cpu_before, *cpu_after, cores) : -1;
  return step;
}

}  // namespace

ProbeResult run_probe(const Scenario& base, const RunTarget& target, const ProbeOptions& options,
                      const EngineOptions& engine) {
  ProbeResult result;
  result.path = target.path;
  result.target = target.target.text;
  result.limits = options.limits;
  result.cores = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  for (double rate = options.start_rate; rate <= options.max_rate * 1.0001;
       rate *= options.growth) {
    ProbeStep step =
        measure_step(base, target, rate, options, engine, result.cores, result.interrupted);
    if (result.interrupted) break;
    judge_step(step, options.limits, result.cores);
    if (engine.progress) std::fprintf(stderr, "  %.0f/s: %s\n", rate, step.verdict.c_str());
    result.steps.push_back(step);
    if (!step.passed) break;
  }
  conclude_probe(result);
  if (result.interrupted) result.stop_reason = "when interrupted (SIGINT or SIGTERM)";
  return result;
}

}  // namespace funnel::storm
