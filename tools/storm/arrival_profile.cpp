// Arrival profiles: rate curves and the start times they produce (see arrival_profile.hpp).
#include "storm/arrival_profile.hpp"

#include <algorithm>
#include <cmath>

namespace funnel::storm {

ArrivalProfile ArrivalProfile::constant(double rate, double duration_s) {
  return ArrivalProfile({{0, rate}, {duration_s, rate}}, duration_s);
}

ArrivalProfile ArrivalProfile::ramp(double rate_start, double rate_end, double duration_s) {
  return ArrivalProfile({{0, rate_start}, {duration_s, rate_end}}, duration_s);
}

ArrivalProfile ArrivalProfile::launch_event(double baseline_concurrency, double peak_concurrency,
                                            double invocation_s, double duration_s) {
  const double d = duration_s;
  const double base = baseline_concurrency / invocation_s;
  const double peak = peak_concurrency / invocation_s;
  std::vector<Point> points = {{0, base}, {0.2 * d, base}, {0.3 * d, peak}, {0.5 * d, peak}};
  // The decay, sampled finely enough that linear interpolation follows the curve.
  constexpr int kDecaySteps = 50;
  for (int i = 1; i <= kDecaySteps; ++i) {
    const double t = 0.5 * d + 0.5 * d * i / kDecaySteps;
    const double c = baseline_concurrency + (peak_concurrency - baseline_concurrency) *
                                                std::exp(-(t - 0.5 * d) / (0.1 * d));
    points.push_back({t, c / invocation_s});
  }
  return ArrivalProfile(std::move(points), d);
}

ArrivalProfile ArrivalProfile::from_scenario(const Scenario& s) {
  switch (s.profile) {
    case ProfileKind::kConstant:
      return constant(s.rate, s.duration_s);
    case ProfileKind::kRamp:
      return ramp(s.rate, s.rate_end, s.duration_s);
    case ProfileKind::kLaunchEvent:
      break;
  }
  return launch_event(s.baseline_concurrency, s.peak_concurrency, expected_invocation_s(s),
                      s.duration_s);
}

std::vector<double> ArrivalProfile::scenario_arrivals(const Scenario& s) {
  std::vector<double> times = from_scenario(s).arrival_times(s.max_invocations);
  group_into_waves(times, s.burst);
  return times;
}

void ArrivalProfile::group_into_waves(std::vector<double>& times, int burst) {
  if (burst <= 1) return;
  const auto wave = static_cast<std::size_t>(burst);
  for (std::size_t k = 0; k < times.size(); ++k) times[k] = times[k - k % wave];
}

double ArrivalProfile::rate_at(double t) const {
  if (t <= points_.front().t) return points_.front().rate;
  if (t >= points_.back().t) return points_.back().rate;
  auto next = std::upper_bound(points_.begin(), points_.end(), t,
                               [](double value, const Point& p) { return value < p.t; });
  const Point& b = *next;
  const Point& a = *(next - 1);
  if (b.t <= a.t) return b.rate;
  return a.rate + (b.rate - a.rate) * (t - a.t) / (b.t - a.t);
}

double ArrivalProfile::peak_rate() const {
  double peak = 0;
  for (const auto& p : points_) peak = std::max(peak, p.rate);
  return peak;
}

double ArrivalProfile::expected_arrivals() const {
  double total = 0;
  for (std::size_t i = 1; i < points_.size(); ++i) {
    total += (points_[i].t - points_[i - 1].t) * (points_[i].rate + points_[i - 1].rate) / 2;
  }
  return total;
}

std::vector<double> ArrivalProfile::arrival_times(std::uint64_t max_count) const {
  std::vector<double> times;
  constexpr double kStep = 0.001;
  double integral = 0;
  double next = 0.5;  // the integral value at which the next arrival comes
  const auto steps = static_cast<std::uint64_t>(std::ceil(duration_s_ / kStep));
  for (std::uint64_t i = 0; i < steps && times.size() < max_count; ++i) {
    const double t0 = static_cast<double>(i) * kStep;
    const double dt = std::min(kStep, duration_s_ - t0);
    const double rate = (rate_at(t0) + rate_at(t0 + dt)) / 2;
    const double after = integral + rate * dt;
    while (after >= next && times.size() < max_count) {
      // Linear within the step: where between t0 and t0 + dt the integral reaches `next`.
      times.push_back(t0 + (next - integral) / rate);
      next += 1;
    }
    integral = after;
  }
  return times;
}

}  // namespace funnel::storm
