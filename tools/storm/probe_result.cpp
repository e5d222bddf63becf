// Probe decisions (see probe_result.hpp).
#include "storm/probe_result.hpp"

#include <fmt/format.h>

namespace funnel::storm {

void judge_step(ProbeStep& step, const ProbeLimits& limits, int cores) {
  const double error_rate =
      step.invocations == 0 ? 0 : static_cast<double>(step.failed) / step.invocations;
  const bool slow = step.latency_ms.p99 > limits.p99_ms;
  const bool failing = error_rate > limits.max_error_rate;
  const bool short_of_rate = step.achieved_rate < limits.min_achieved * step.target_rate;
  const bool saturated = step.machine_busy_cores >= limits.saturated_share * cores;
  const bool storm_busy =
      step.storm_cpu_cores >= limits.storm_cpu_share * cores ||
      (saturated && step.storm_cpu_cores >= limits.storm_busy_share * step.machine_busy_cores);
  step.passed = !slow && !failing && !short_of_rate;
  // The target is healthy (fast, no errors) yet the rate was not reached, or funnel-storm used
  // most of the machine: the generator, not the target, limited this step.
  step.storm_limited = storm_busy || (short_of_rate && !slow && !failing);
  if (step.passed) {
    step.verdict =
        fmt::format("ok: p99 {:.2f} ms, {:.2f}% errors", step.latency_ms.p99, 100 * error_rate);
  } else if (failing) {
    step.verdict = fmt::format("error rate {:.2f}% above {:.2f}%", 100 * error_rate,
                               100 * limits.max_error_rate);
  } else if (slow) {
    step.verdict = fmt::format("p99 {:.2f} ms above {:.2f} ms", step.latency_ms.p99, limits.p99_ms);
  } else {
    step.verdict =
        fmt::format("reached {:.0f}/s of {:.0f}/s", step.achieved_rate, step.target_rate);
  }
  if (step.storm_limited) {
    step.verdict +=
        fmt::format(" (funnel-storm was the limit: it used {:.2f} of {} cores, the machine {:.2f})",
                    step.storm_cpu_cores, cores, step.machine_busy_cores);
  }
}

void conclude_probe(ProbeResult& result) {
  result.sustainable_rate = 0;
  result.storm_limited = false;
  result.stop_reason = "every step passed; raise --probe-max-rate to go further";
  for (const auto& step : result.steps) {
    if (step.passed) {
      result.sustainable_rate = step.achieved_rate;
      continue;
    }
    result.storm_limited = step.storm_limited;
    result.stop_reason = fmt::format("at {:.0f}/s: {}", step.target_rate, step.verdict);
    break;
  }
}

}  // namespace funnel::storm
