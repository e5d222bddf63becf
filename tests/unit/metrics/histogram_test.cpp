// Histogram bucket lookup: the fast table-driven bucket_for must agree with a plain binary search
// over the documented bounds for every value that matters (each bound, its neighbours, every
// power of two, and values past the last bound).
#include "metrics/histogram.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace funnel::metrics {
namespace {

std::size_t reference_bucket(std::int64_t ns) {
  const auto& bounds = Histogram::upper_bounds_ns();
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), ns) -
                                  bounds.begin());
}

TEST(Histogram, BoundsAreTenMicrosecondsToTenSecondsSixPerDecade) {
  const auto& bounds = Histogram::upper_bounds_ns();
  EXPECT_EQ(bounds.front(), 10'000);
  EXPECT_EQ(bounds.back(), 10'000'000'000);
  EXPECT_EQ(bounds[1], 15'000);
  EXPECT_EQ(bounds[6], 100'000);
  EXPECT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
}

TEST(Histogram, BucketForMatchesBinarySearch) {
  std::vector<std::int64_t> values = {0, 1, 2, 999, 1000, INT64_MAX, INT64_MAX - 1};
  for (std::int64_t bound : Histogram::upper_bounds_ns()) {
    for (std::int64_t delta : {-1, 0, 1}) values.push_back(bound + delta);
  }
  for (int shift = 0; shift < 63; ++shift) {
    const std::int64_t power = std::int64_t{1} << shift;
    for (std::int64_t delta : {-1, 0, 1}) values.push_back(power + delta);
  }
  for (std::int64_t v = 1; v < 20'000'000'000; v = v * 21 / 20 + 1) values.push_back(v);
  for (std::int64_t v : values) {
    ASSERT_EQ(Histogram::bucket_for(v), reference_bucket(v)) << "value " << v;
  }
}

TEST(Histogram, NegativeDurationsCountAsZero) {
  EXPECT_EQ(Histogram::bucket_for(-5), 0u);
  EXPECT_EQ(Histogram::bucket_for(INT64_MIN), 0u);
}

TEST(Histogram, ObserveCountsOneBucketAndTheSum) {
  Histogram h;
  h.observe(12'000);          // (10 µs, 15 µs]
  h.observe(15'000);          // on the bound: same bucket
  h.observe(20'000'000'000);  // past 10 s: +Inf
  std::array<std::uint64_t, Histogram::kBuckets> counts{};
  std::uint64_t sum = 0;
  h.add_to(counts, sum);
  EXPECT_EQ(counts[1], 2u);
  EXPECT_EQ(counts[Histogram::kBuckets - 1], 1u);
  EXPECT_EQ(sum, 12'000u + 15'000u + 20'000'000'000u);
}

}  // namespace
}  // namespace funnel::metrics
