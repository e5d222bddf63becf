// AuthThrottle's decisions, step by step with the clock passed in: free failures per address,
// then held failures with growing delays, closing past the per-address and total bounds,
// end_hold() giving the places back, forgetting after a quiet period, bounded memory, and the
// keys addresses are counted under.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "security/auth_throttle.hpp"

namespace funnel::security {
namespace {

constexpr auto kAnswer = AuthVerdict::kAnswer;
constexpr auto kHold = AuthVerdict::kHold;
constexpr auto kClose = AuthVerdict::kClose;

// One step of a script: a failure (or, with end_hold, a held failure ending) from `address` at
// `now` on a connection that had (`was_held`) a failure held before or not, and the decision
// expected.
struct Step {
  const char* address;
  std::int64_t now;
  AuthDecision expected;
  bool end_hold = false;
  bool was_held = false;
};

void run(AuthThrottle& throttle, const std::vector<Step>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (s.end_hold) {
      throttle.end_hold(s.address);
      continue;
    }
    const AuthDecision got = throttle.on_failure(s.address, s.now, s.was_held);
    EXPECT_EQ(static_cast<int>(got.verdict), static_cast<int>(s.expected.verdict))
        << "step " << i << " (" << s.address << " at " << s.now << ")";
    EXPECT_EQ(got.delay_ms, s.expected.delay_ms) << "step " << i;
  }
}

Step end_of_hold(const char* address) {
  return {address, 0, {}, true};
}

// A failure on a connection that already had one held.
Step again(const char* address, std::int64_t now, AuthDecision expected) {
  return {address, now, expected, false, true};
}

TEST(AuthThrottleTest, FreeFailuresThenHoldsThatDoubleUpToTheCap) {
  AuthThrottle throttle;  // 3 free, 100 ms doubling to 2 s
  const std::int64_t t = 1'000'000;
  run(throttle, {
                    {"10.0.0.1", t, {kAnswer, 0}},
                    {"10.0.0.1", t, {kAnswer, 0}},
                    {"10.0.0.1", t, {kAnswer, 0}},
                    {"10.0.0.1", t, {kHold, 100}},
                    {"10.0.0.1", t + 1, {kHold, 200}},
                    {"10.0.0.1", t + 2, {kHold, 400}},
                    {"10.0.0.1", t + 3, {kHold, 800}},
                    {"10.0.0.1", t + 4, {kHold, 1600}},
                    {"10.0.0.1", t + 5, {kHold, 2000}},
                    {"10.0.0.1", t + 6, {kHold, 2000}},
                    // Another address has its own budget.
                    {"10.0.0.2", t + 6, {kAnswer, 0}},
                });
  EXPECT_EQ(throttle.held(), 7u);
}

// The attack of issue #14: one address, a fresh connection per guess. The failure count is the
// address's, so every connection's first guess is held once the address is over budget; past
// max_held_per_address held at once, guesses close their connection at once, and a hold that
// ends gives its place back.
TEST(AuthThrottleTest, HeldFailuresAreBoundedPerAddress) {
  AuthThrottle throttle(ThrottleSettings{.free_failures = 1,
                                         .first_delay_ms = 100,
                                         .max_delay_ms = 100,
                                         .max_held_per_address = 2,
                                         .max_held_total = 100});
  run(throttle, {
                    {"10.0.0.1", 5000, {kAnswer, 0}},
                    {"10.0.0.1", 5000, {kHold, 100}},
                    {"10.0.0.1", 5000, {kHold, 100}},
                    {"10.0.0.1", 5000, {kClose, 0}},
                    {"10.0.0.1", 5001, {kClose, 0}},
                    {"10.0.0.2", 5001, {kAnswer, 0}},  // others are not affected
                    {"10.0.0.2", 5001, {kHold, 100}},
                    end_of_hold("10.0.0.1"),
                    {"10.0.0.1", 5100, {kHold, 100}},
                    {"10.0.0.1", 5100, {kClose, 0}},
                    end_of_hold("10.0.0.1"),
                    end_of_hold("10.0.0.1"),
                    {"10.0.0.1", 5200, {kHold, 100}},
                });
  EXPECT_EQ(throttle.held(), 2u);  // 10.0.0.1 once, 10.0.0.2 once
}

// A connection gets one held answer past the budget; failing again closes it at once (it keeps
// failing), and takes no hold. Within the free failures a connection may fail again freely.
TEST(AuthThrottleTest, ConnectionsThatKeepFailingAreClosed) {
  AuthThrottle throttle(ThrottleSettings{.free_failures = 2});
  run(throttle, {
                    {"10.0.0.1", 100, {kAnswer, 0}},
                    again("10.0.0.1", 100, {kAnswer, 0}),
                    {"10.0.0.1", 100, {kHold, 100}},
                    end_of_hold("10.0.0.1"),
                    again("10.0.0.1", 300, {kClose, 0}),
                });
  EXPECT_EQ(throttle.held(), 0u);
}

TEST(AuthThrottleTest, HeldFailuresAreBoundedInTotal) {
  AuthThrottle throttle(ThrottleSettings{.free_failures = 0,
                                         .first_delay_ms = 50,
                                         .max_delay_ms = 50,
                                         .max_held_per_address = 10,
                                         .max_held_total = 3});
  run(throttle, {
                    {"10.0.0.1", 100, {kHold, 50}},
                    {"10.0.0.2", 100, {kHold, 50}},
                    {"10.0.0.3", 100, {kHold, 50}},
                    {"10.0.0.4", 100, {kClose, 0}},
                    {"10.0.0.1", 100, {kClose, 0}},
                    end_of_hold("10.0.0.2"),
                    {"10.0.0.4", 120, {kHold, 50}},
                });
  EXPECT_EQ(throttle.held(), 3u);
}

TEST(AuthThrottleTest, QuietAddressesStartAfreshButNotWhileHeld) {
  AuthThrottle throttle(ThrottleSettings{.free_failures = 1, .forget_after_ms = 1000});
  run(throttle, {
                    {"10.0.0.1", 10'000, {kAnswer, 0}},
                    {"10.0.0.1", 10'000, {kHold, 100}},
                    end_of_hold("10.0.0.1"),
                    {"10.0.0.1", 10'999, {kHold, 200}},  // not quiet long enough
                    end_of_hold("10.0.0.1"),
                    {"10.0.0.1", 11'999, {kAnswer, 0}},  // quiet for 1 s: afresh
                });
  EXPECT_EQ(throttle.held(), 0u);
}

TEST(AuthThrottleTest, EndHoldWithoutAHoldNeverUnderflows) {
  AuthThrottle throttle;
  throttle.end_hold("10.0.0.9");
  run(throttle, {{"10.0.0.9", 1000, {kAnswer, 0}}, end_of_hold("10.0.0.9")});
  EXPECT_EQ(throttle.held(), 0u);
}

TEST(AuthThrottleTest, MemoryIsBoundedAndHeldEntriesSurvive) {
  AuthThrottle throttle(ThrottleSettings{.free_failures = 1, .max_addresses = 100});
  run(throttle, {{"held", 1000, {kAnswer, 0}}, {"held", 1000, {kHold, 100}}});
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(throttle.on_failure("a" + std::to_string(i), 1000).verdict, kAnswer);
  }
  EXPECT_LE(throttle.tracked(), 100u);
  // The spray emptied the table but kept the entry with a failure held: its end is counted, and
  // the address is still past its budget.
  throttle.end_hold("held");
  EXPECT_EQ(throttle.held(), 0u);
  EXPECT_EQ(throttle.on_failure("held", 1000).verdict, kHold);
}

TEST(AuthThrottleTest, KeysAreIpv4AddressesAndIpv6Slash64) {
  const std::array<unsigned char, 4> v4 = {10, 1, 2, 3};
  EXPECT_EQ(throttle_key(v4.data(), v4.size()), "10.1.2.3");
  std::array<unsigned char, 16> mapped{};
  mapped[10] = mapped[11] = 0xff;
  mapped[12] = 192;
  mapped[13] = 168;
  mapped[14] = 0;
  mapped[15] = 7;
  EXPECT_EQ(throttle_key(mapped.data(), mapped.size()), "192.168.0.7");
  std::array<unsigned char, 16> a = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 9, 9, 9, 9, 9, 9, 9, 9};
  std::array<unsigned char, 16> b = a;
  b[15] = 1;  // the same /64, another host
  EXPECT_EQ(throttle_key(a.data(), a.size()), "2001:0db8:0001:0002::/64");
  EXPECT_EQ(throttle_key(a.data(), a.size()), throttle_key(b.data(), b.size()));
}

}  // namespace
}  // namespace funnel::security

namespace funnel::security {
namespace {

// Checks by the backend (auth.users_from_backend) are admitted only while those in flight fit in
// what the address may still fail: its free failures left, then its places for held failures.
TEST(AuthThrottleTest, BackendChecksInFlightFitInWhatTheAddressMayStillFail) {
  AuthThrottle throttle({.free_failures = 2, .max_held_per_address = 1, .max_held_total = 100});
  const std::int64_t t = 1'000'000;
  EXPECT_TRUE(throttle.begin_check("10.0.0.1", t));
  EXPECT_TRUE(throttle.begin_check("10.0.0.1", t));
  EXPECT_TRUE(throttle.begin_check("10.0.0.1", t));   // the one place to hold a failure
  EXPECT_FALSE(throttle.begin_check("10.0.0.1", t));  // a fourth guess at once: refused
  EXPECT_TRUE(throttle.begin_check("10.0.0.2", t));   // other addresses are not affected
  throttle.end_check("10.0.0.1");
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t).verdict, kAnswer);
  EXPECT_FALSE(throttle.begin_check("10.0.0.1", t));  // one free failure left, two in flight
  throttle.end_check("10.0.0.1");
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t).verdict, kAnswer);
  throttle.end_check("10.0.0.1");
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t).verdict, kHold);
  EXPECT_FALSE(throttle.begin_check("10.0.0.1", t));  // free failures used, the hold taken
  throttle.end_hold("10.0.0.1");
  EXPECT_TRUE(throttle.begin_check("10.0.0.1", t));
  throttle.end_check("10.0.0.1");
  throttle.end_check("10.0.0.1");  // never below zero
  EXPECT_TRUE(throttle.begin_check("10.0.0.1", t));
}

TEST(AuthThrottleTest, BackendChecksCountAgainstTheTotalBound) {
  AuthThrottle throttle({.free_failures = 0, .max_held_per_address = 5, .max_held_total = 2});
  const std::int64_t t = 1'000'000;
  EXPECT_TRUE(throttle.begin_check("10.0.0.1", t));
  EXPECT_TRUE(throttle.begin_check("10.0.0.2", t));
  EXPECT_FALSE(throttle.begin_check("10.0.0.3", t));
}

}  // namespace
}  // namespace funnel::security
