// Failed AUTH attempts per address: free at first, then doubling pauses up to a cap; forgotten
// after a quiet period; bounded memory.
#include <gtest/gtest.h>

#include "security/auth_throttle.hpp"

namespace funnel::security {
namespace {

TEST(AuthThrottleTest, PausesGrowAndAreCapped) {
  AuthThrottle throttle;
  std::int64_t now = 1'000'000;
  EXPECT_EQ(throttle.on_failure("10.0.0.1", now), 0u);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", now), 0u);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", now), 0u);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", now), 100u);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", now), 200u);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", now), 400u);
  for (int i = 0; i < 40; ++i) throttle.on_failure("10.0.0.1", now);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", now), 2000u);
  EXPECT_EQ(throttle.on_failure("10.0.0.2", now), 0u) << "another address is not slowed";
  EXPECT_EQ(throttle.on_failure("10.0.0.1", now + 60'000), 0u) << "forgotten after a minute";
}

TEST(AuthThrottleTest, MemoryIsBounded) {
  AuthThrottle throttle(ThrottleSettings{.max_addresses = 100});
  for (int i = 0; i < 1000; ++i) throttle.on_failure("a" + std::to_string(i), 1000);
  EXPECT_LE(throttle.tracked(), 100u);
}

}  // namespace
}  // namespace funnel::security
