// Percentiles: nearest-rank on exact samples.
#include "storm/stats.hpp"

#include <gtest/gtest.h>

namespace funnel::storm {
namespace {

TEST(Stats, NearestRankPercentiles) {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);  // 1..100, reversed
  EXPECT_DOUBLE_EQ(percentile(values, 50), 50);
  EXPECT_DOUBLE_EQ(percentile(values, 95), 95);
  EXPECT_DOUBLE_EQ(percentile(values, 99), 99);
  EXPECT_DOUBLE_EQ(percentile(values, 100), 100);
  EXPECT_DOUBLE_EQ(percentile(values, 0.1), 1);
}

TEST(Stats, SmallAndEmptyInputs) {
  std::vector<double> empty;
  EXPECT_DOUBLE_EQ(percentile(empty, 50), 0);
  const Percentiles none = percentiles(empty);
  EXPECT_EQ(none.count, 0u);
  EXPECT_DOUBLE_EQ(none.p99, 0);
  std::vector<double> one{7.5};
  const Percentiles p = percentiles(one);
  EXPECT_EQ(p.count, 1u);
  EXPECT_DOUBLE_EQ(p.p50, 7.5);
  EXPECT_DOUBLE_EQ(p.p99, 7.5);
  EXPECT_DOUBLE_EQ(p.max, 7.5);
}

TEST(Stats, TailDominatedByOutliers) {
  std::vector<double> values(990, 1.0);
  values.insert(values.end(), 10, 2000.0);  // 1% timeouts
  const Percentiles p = percentiles(values);
  EXPECT_DOUBLE_EQ(p.p50, 1);
  EXPECT_DOUBLE_EQ(p.p95, 1);
  EXPECT_DOUBLE_EQ(p.p99, 1);  // rank 990 is the last fast one
  EXPECT_DOUBLE_EQ(p.max, 2000);
  values.push_back(2000);
  EXPECT_DOUBLE_EQ(percentiles(values).p99, 2000);
}

}  // namespace
}  // namespace funnel::storm
