// Seeded random choices for the generators of the differential tests (fast path against the
// state machine): the same seed gives the same inputs, so a failure can be replayed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>

namespace funnel::resp::testing {

class RandomInput {
 public:
  explicit RandomInput(std::uint32_t seed) : rng_(seed) {}

 protected:
  std::size_t pick(std::initializer_list<std::size_t> values) {
    return values.begin()[uniform(values.size())];
  }
  bool one_in(std::size_t n) { return uniform(n) == 0; }
  std::size_t uniform(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::mt19937 rng_;
};

}  // namespace funnel::resp::testing
