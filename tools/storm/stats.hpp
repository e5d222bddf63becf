// Latency statistics for funnel-storm: exact nearest-rank percentiles over recorded samples (a
// run records at most a few hundred thousand latencies, so exact is affordable). No I/O.
#pragma once

#include <cstddef>
#include <vector>

namespace funnel::storm {

struct Percentiles {
  std::size_t count = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
};

// The nearest-rank p-th percentile (0 < p <= 100) of values: the smallest value with at least
// p% of the values at or below it. 0 for an empty input. Reorders values.
double percentile(std::vector<double>& values, double p);
// p50, p95, p99 and max of values (all 0 when empty). Reorders values.
Percentiles percentiles(std::vector<double>& values);

}  // namespace funnel::storm
