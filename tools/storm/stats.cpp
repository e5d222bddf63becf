// Latency statistics (see stats.hpp).
#include "storm/stats.hpp"

#include <algorithm>
#include <cmath>

namespace funnel::storm {

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const double n = static_cast<double>(values.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  auto nth = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

Percentiles percentiles(std::vector<double>& values) {
  Percentiles result;
  result.count = values.size();
  if (values.empty()) return result;
  result.p50 = percentile(values, 50);
  result.p95 = percentile(values, 95);
  result.p99 = percentile(values, 99);
  result.max = *std::max_element(values.begin(), values.end());
  return result;
}

}  // namespace funnel::storm
