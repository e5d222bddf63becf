// Probe decisions: a step passes or fails on p99, errors and reached rate; funnel-storm is
// flagged as the bottleneck when the target was healthy but the rate was not reached, or when
// it used most of the machine.
#include "storm/probe_result.hpp"

#include <gtest/gtest.h>

#include "storm/machine_cpu.hpp"

namespace funnel::storm {
namespace {

ProbeStep step(double target, double achieved, double p99, std::uint64_t failed, double cpu) {
  ProbeStep s;
  s.target_rate = target;
  s.achieved_rate = achieved;
  s.invocations = 1000;
  s.failed = failed;
  s.latency_ms.p99 = p99;
  s.storm_cpu_cores = cpu;
  return s;
}

TEST(ProbeResult, JudgesSteps) {
  const ProbeLimits limits;  // p99 25 ms, 0.1% errors, 90% of the rate, 80% of the cores
  auto ok = step(1000, 990, 3, 0, 0.4);
  judge_step(ok, limits, 2);
  EXPECT_TRUE(ok.passed);
  EXPECT_FALSE(ok.storm_limited);

  auto slow = step(2000, 1990, 40, 0, 0.5);
  judge_step(slow, limits, 2);
  EXPECT_FALSE(slow.passed);
  EXPECT_FALSE(slow.storm_limited);
  EXPECT_NE(slow.verdict.find("p99"), std::string::npos);

  auto failing = step(2000, 1990, 3, 50, 0.5);
  judge_step(failing, limits, 2);
  EXPECT_FALSE(failing.passed);
  EXPECT_NE(failing.verdict.find("error rate"), std::string::npos);
}

TEST(ProbeResult, FlagsTheGeneratorAsTheLimit) {
  const ProbeLimits limits;
  auto behind = step(4000, 2500, 2, 0, 1.0);  // healthy target, rate not reached
  judge_step(behind, limits, 2);
  EXPECT_FALSE(behind.passed);
  EXPECT_TRUE(behind.storm_limited);
  EXPECT_NE(behind.verdict.find("funnel-storm was the limit"), std::string::npos);

  auto busy = step(4000, 3990, 3, 0, 1.7);  // passed, but storm used 85% of 2 cores
  judge_step(busy, limits, 2);
  EXPECT_TRUE(busy.passed);
  EXPECT_TRUE(busy.storm_limited);
}

TEST(ProbeResult, FlagsTheGeneratorOnASaturatedMachine) {
  const ProbeLimits limits;
  auto shared = step(9000, 8990, 40, 0, 1.0);  // p99 failed, machine full, storm half of it
  shared.machine_busy_cores = 1.95;
  judge_step(shared, limits, 2);
  EXPECT_FALSE(shared.passed);
  EXPECT_TRUE(shared.storm_limited);
  auto target_bound = step(9000, 8990, 40, 0, 0.3);  // the target used the machine
  target_bound.machine_busy_cores = 1.95;
  judge_step(target_bound, limits, 2);
  EXPECT_FALSE(target_bound.storm_limited);
}

TEST(MachineCpu, ParsesProcStat) {
  const auto t =
      parse_proc_stat("cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 50 2 25 500 10 0 1 1 0 0\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->total, 1181u);
  EXPECT_EQ(t->busy, 161u);
  EXPECT_FALSE(parse_proc_stat("intr 1 2 3"));
  const CpuTimes before{100, 1000}, after{600, 2000};
  EXPECT_DOUBLE_EQ(busy_cores(before, after, 2), 1.0);
}

TEST(ProbeResult, SustainableRateIsTheLastPassingStep) {
  ProbeResult result;
  auto a = step(1000, 995, 2, 0, 0.3), b = step(1500, 1490, 3, 0, 0.4),
       c = step(2250, 2200, 60, 0, 0.5);
  for (auto* s : {&a, &b, &c}) {
    judge_step(*s, result.limits, 2);
    result.steps.push_back(*s);
  }
  conclude_probe(result);
  EXPECT_DOUBLE_EQ(result.sustainable_rate, 1490);
  EXPECT_FALSE(result.storm_limited);
  EXPECT_NE(result.stop_reason.find("2250/s"), std::string::npos);

  ProbeResult none;
  none.steps.push_back(c);
  conclude_probe(none);
  EXPECT_DOUBLE_EQ(none.sustainable_rate, 0);
}

}  // namespace
}  // namespace funnel::storm
