// Arrival profiles: when invocations arrive. A profile is a rate curve (invocations per second
// over the run) turned into exact, reproducible start times; the run engine replays them. No I/O.
#pragma once

#include <cstdint>
#include <vector>

#include "storm/scenario.hpp"

namespace funnel::storm {

class ArrivalProfile {
 public:
  // rate invocations/s for duration_s seconds.
  static ArrivalProfile constant(double rate, double duration_s);
  // A straight line from rate_start to rate_end over duration_s.
  static ArrivalProfile ramp(double rate_start, double rate_end, double duration_s);
  // The case's launch event, as a target concurrency turned into a rate (concurrency divided by
  // the invocation's expected duration): a quiet baseline for the first 20% of the run, a steep
  // climb to the peak (20-30%), the peak held (30-50%), then an exponential decay back to the
  // baseline (time constant 10% of the run).
  static ArrivalProfile launch_event(double baseline_concurrency, double peak_concurrency,
                                     double invocation_s, double duration_s);
  static ArrivalProfile from_scenario(const Scenario& scenario);
  // The scenario's start times: its profile's, at most max_invocations, in waves of `burst`.
  static std::vector<double> scenario_arrivals(const Scenario& scenario);
  // Each run of `burst` consecutive arrivals starts together, at the first one's time: the same
  // count and, over a wave's span, the same rate, as waves of cold starts after one event.
  static void group_into_waves(std::vector<double>& times, int burst);

  double duration_s() const { return duration_s_; }
  // The rate at time t (seconds from the start), linear between the curve's points.
  double rate_at(double t) const;
  double peak_rate() const;
  // The expected number of arrivals in [0, duration): the integral of the rate.
  double expected_arrivals() const;
  // Start times in seconds, ascending: the k-th arrival comes when the integral of the rate
  // reaches k + 0.5, so a constant rate r gives evenly spaced arrivals 1/r apart. At most
  // max_count of them.
  std::vector<double> arrival_times(std::uint64_t max_count) const;

 private:
  struct Point {
    double t;
    double rate;
  };
  ArrivalProfile(std::vector<Point> points, double duration_s)
      : points_(std::move(points)), duration_s_(duration_s) {}

  std::vector<Point> points_;  // ascending t, first at 0, last at duration_s_
  double duration_s_;
};

}  // namespace funnel::storm
