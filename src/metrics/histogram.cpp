// Histogram bucket bounds and lookup (see histogram.hpp).
#include "metrics/histogram.hpp"

#include <algorithm>

namespace funnel::metrics {

const std::array<std::int64_t, Histogram::kBuckets - 1>& Histogram::upper_bounds_ns() {
  static const auto bounds = [] {
    std::array<std::int64_t, kBuckets - 1> result{};
    constexpr std::int64_t kSteps[] = {10, 15, 20, 30, 50, 70};  // per decade, in tenths
    std::int64_t decade = 1000;                                  // 10 µs = 10 × 1000 ns
    std::size_t i = 0;
    while (i < result.size()) {
      for (std::int64_t step : kSteps) {
        if (i == result.size()) break;
        result[i++] = decade * step;
      }
      decade *= 10;
    }
    return result;
  }();
  return bounds;
}

std::size_t Histogram::bucket_for(std::int64_t ns) {
  const auto& bounds = upper_bounds_ns();
  // Prometheus buckets are "less than or equal to" their bound.
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), ns) -
                                  bounds.begin());
}

}  // namespace funnel::metrics
