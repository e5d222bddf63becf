// Arrival profiles: the rate curves and the start times they produce.
#include "storm/arrival_profile.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace funnel::storm {
namespace {

std::size_t count_between(const std::vector<double>& times, double from, double to) {
  return static_cast<std::size_t>(
      std::count_if(times.begin(), times.end(), [&](double t) { return t >= from && t < to; }));
}

TEST(ArrivalProfile, ConstantRateIsEvenlySpaced) {
  const auto times = ArrivalProfile::constant(100, 10).arrival_times(1'000'000);
  ASSERT_EQ(times.size(), 1000u);
  EXPECT_NEAR(times.front(), 0.005, 1e-6);
  for (std::size_t i = 1; i < times.size(); ++i) EXPECT_NEAR(times[i] - times[i - 1], 0.01, 1e-6);
  for (int second = 0; second < 10; ++second)
    EXPECT_EQ(count_between(times, second, second + 1), 100u);
}

TEST(ArrivalProfile, RampRisesLinearly) {
  const auto profile = ArrivalProfile::ramp(0, 200, 10);
  EXPECT_DOUBLE_EQ(profile.rate_at(5), 100);
  EXPECT_DOUBLE_EQ(profile.expected_arrivals(), 1000);
  const auto times = profile.arrival_times(1'000'000);
  EXPECT_NEAR(static_cast<double>(times.size()), 1000, 1);
  // The last second carries about 19x the first second's arrivals.
  EXPECT_NEAR(static_cast<double>(count_between(times, 0, 1)), 10, 1);
  EXPECT_NEAR(static_cast<double>(count_between(times, 9, 10)), 190, 1);
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
}

TEST(ArrivalProfile, LaunchEventHasBaselineSpikeAndDecay) {
  // 10 -> 300 concurrent invocations of 0.2 s: 50/s baseline, 1500/s at the peak.
  const auto profile = ArrivalProfile::launch_event(10, 300, 0.2, 30);
  EXPECT_DOUBLE_EQ(profile.rate_at(1), 50);
  EXPECT_DOUBLE_EQ(profile.rate_at(5.9), 50);
  EXPECT_DOUBLE_EQ(profile.rate_at(10), 1500);
  EXPECT_DOUBLE_EQ(profile.rate_at(14.9), 1500);
  EXPECT_DOUBLE_EQ(profile.peak_rate(), 1500);
  EXPECT_LT(profile.rate_at(20), 1500 * 0.5);  // decaying
  EXPECT_LT(profile.rate_at(29.9), 65);        // back near the baseline (50/s)
  const auto times = profile.arrival_times(1'000'000);
  EXPECT_NEAR(static_cast<double>(count_between(times, 10, 11)), 1500, 2);
  EXPECT_NEAR(static_cast<double>(count_between(times, 0, 1)), 50, 1);
  EXPECT_NEAR(static_cast<double>(times.size()), profile.expected_arrivals(), 2);
}

TEST(ArrivalProfile, FromScenarioUsesTheInvocationDuration) {
  Scenario s;
  s.duration_s = 10;
  s.baseline_concurrency = 2;
  s.peak_concurrency = 100;
  s.think_ms = 98;  // + 2 ms for one command: 0.1 s per invocation
  const auto profile = ArrivalProfile::from_scenario(s);
  EXPECT_NEAR(profile.rate_at(4), 1000, 1e-6);
  EXPECT_NEAR(profile.rate_at(0), 20, 1e-6);
}

TEST(ArrivalProfile, MaxCountBoundsTheArrivals) {
  EXPECT_EQ(ArrivalProfile::constant(1000, 10).arrival_times(123).size(), 123u);
  EXPECT_TRUE(ArrivalProfile::constant(0, 10).arrival_times(100).empty());
}

// Waves: every `burst` consecutive arrivals start at the first one's time; the count is kept.
TEST(ArrivalProfile, WavesGroupArrivalsAtTheirFirstTime) {
  struct Case {
    std::vector<double> times;
    int burst;
    std::vector<double> want;
  };
  const std::vector<Case> cases = {
      {{0.1, 0.2, 0.3, 0.4, 0.5}, 1, {0.1, 0.2, 0.3, 0.4, 0.5}},
      {{0.1, 0.2, 0.3, 0.4, 0.5}, 2, {0.1, 0.1, 0.3, 0.3, 0.5}},
      {{0.1, 0.2, 0.3, 0.4, 0.5}, 5, {0.1, 0.1, 0.1, 0.1, 0.1}},
      {{0.1, 0.2}, 300, {0.1, 0.1}},
      {{}, 3, {}},
  };
  for (const Case& c : cases) {
    std::vector<double> times = c.times;
    ArrivalProfile::group_into_waves(times, c.burst);
    EXPECT_EQ(times, c.want) << "burst " << c.burst;
  }
}

TEST(ArrivalProfile, ScenarioArrivalsComeInWaves) {
  Scenario s;
  s.profile = ProfileKind::kConstant;
  s.rate = 1000;
  s.duration_s = 1;
  s.burst = 100;
  const std::vector<double> times = ArrivalProfile::scenario_arrivals(s);
  ASSERT_EQ(times.size(), 1000u);
  EXPECT_EQ(times[0], times[99]);
  EXPECT_NEAR(times[100] - times[0], 0.1, 1e-9);  // the rate is kept: 100 per 0.1 s
}

}  // namespace
}  // namespace funnel::storm
