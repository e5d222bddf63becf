// Histogram bucket bounds and lookup (see histogram.hpp).
#include "metrics/histogram.hpp"

#include <bit>

namespace funnel::metrics {
namespace {

using Bounds = std::array<std::int64_t, Histogram::kBuckets - 1>;

constexpr Bounds make_bounds() {
  Bounds result{};
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
}

constexpr Bounds kBounds = make_bounds();

// For every bit width w, the first bucket whose bound is >= 2^(w-1), the smallest value of that
// width. A value of width w then lies at most two buckets further on (bounds grow by at most
// 1.5x from one to the next, and 2^w / 2^(w-1) = 2), so observe() costs a table read and a couple
// of comparisons instead of a binary search over 37 bounds: it runs twice per request.
constexpr std::array<std::uint8_t, 65> make_first_bucket() {
  std::array<std::uint8_t, 65> first{};
  for (std::size_t width = 0; width <= 64; ++width) {
    const std::uint64_t smallest = width == 0 ? 0 : std::uint64_t{1} << (width - 1);
    std::size_t i = 0;
    while (i < kBounds.size() && static_cast<std::uint64_t>(kBounds[i]) < smallest) ++i;
    first[width] = static_cast<std::uint8_t>(i);
  }
  return first;
}

constexpr std::array<std::uint8_t, 65> kFirstBucket = make_first_bucket();

}  // namespace

const Bounds& Histogram::upper_bounds_ns() {
  return kBounds;
}

std::size_t Histogram::bucket_for(std::int64_t ns) {
  if (ns <= 0) return 0;
  // Prometheus buckets are "less than or equal to" their bound.
  std::size_t i = kFirstBucket[std::bit_width(static_cast<std::uint64_t>(ns))];
  while (i < kBounds.size() && kBounds[i] < ns) ++i;
  return i;
}

}  // namespace funnel::metrics
