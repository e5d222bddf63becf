// Accept smoothing (server/accept_pacer.hpp): the token bucket, the delay bound and the split
// over workers.
#include "server/accept_pacer.hpp"

#include <gtest/gtest.h>

namespace funnel::server {
namespace {

AcceptPacer paced(double rate, double burst, std::int64_t max_delay_ms) {
  AcceptPacer pacer;
  pacer.configure(AcceptPace{.rate_per_s = rate, .burst = burst, .max_delay_ms = max_delay_ms}, 0);
  return pacer;
}

TEST(AcceptPacerTest, UnlimitedWhenTheRateIsZero) {
  AcceptPacer pacer = paced(0, 10, 1000);
  EXPECT_FALSE(pacer.limited());
  EXPECT_EQ(pacer.allowance(0), AcceptPacer::kUnlimited);
  pacer.took(1'000'000);
  EXPECT_EQ(pacer.allowance(0), AcceptPacer::kUnlimited);
}

// Each step: at `now`, the allowance expected, then `take` connections taken.
struct Step {
  std::int64_t now;
  std::size_t allowance;
  std::size_t take;
};

TEST(AcceptPacerTest, BurstThenTheRate) {
  AcceptPacer pacer = paced(1000, 100, 60'000);  // one per millisecond after a burst of 100
  const Step steps[] = {
      {0, 100, 100},   // the burst
      {0, 0, 0},       // spent
      {1, 1, 1},       // one token per millisecond
      {10, 9, 4},      //
      {20, 15, 0},     // 5 left + 10 earned
      {500, 100, 0},   // never more than the burst
      {501, 100, 50},  //
      {501, 50, 50},   //
  };
  for (const Step& s : steps) {
    EXPECT_EQ(pacer.allowance(s.now), s.allowance) << "at " << s.now;
    pacer.took(s.take);
  }
}

TEST(AcceptPacerTest, FractionalRatesAccumulate) {
  AcceptPacer pacer = paced(10, 1, 60'000);  // one per 100 ms
  EXPECT_EQ(pacer.allowance(0), 1u);
  pacer.took(1);
  EXPECT_EQ(pacer.allowance(99), 0u);
  EXPECT_EQ(pacer.allowance(100), 1u);
}

TEST(AcceptPacerTest, RetryComesWithTheNextToken) {
  AcceptPacer pacer = paced(100, 5, 60'000);  // one per 10 ms
  pacer.took(pacer.allowance(0));
  pacer.deferred(0);
  EXPECT_EQ(pacer.retry_in_ms(0), 10);
  EXPECT_EQ(pacer.allowance(4), 0u);
  EXPECT_EQ(pacer.retry_in_ms(4), 6);
  AcceptPacer fast = paced(1'000'000, 1, 60'000);
  fast.took(1);
  fast.deferred(0);
  EXPECT_EQ(fast.retry_in_ms(0), 1);  // never 0: no busy loop
}

// A connection never waits in the backlog longer than the bound: the first deferral since the
// backlog was last empty is a lower bound of the oldest waiter's arrival.
TEST(AcceptPacerTest, TheDelayBoundTakesTheBacklogWhole) {
  AcceptPacer pacer = paced(1, 1, 500);  // one a second, waits of half a second at most
  pacer.took(pacer.allowance(0));
  pacer.deferred(0);
  EXPECT_EQ(pacer.retry_in_ms(0), 500);  // the bound comes before the token
  pacer.deferred(300);                   // later deferrals keep the first one's time
  EXPECT_EQ(pacer.allowance(499), 0u);
  EXPECT_EQ(pacer.retry_in_ms(499), 1);
  EXPECT_EQ(pacer.allowance(500), AcceptPacer::kUnlimited);
  pacer.took(1000);
  pacer.drained();  // the backlog emptied: pacing again
  EXPECT_EQ(pacer.allowance(600), 0u);
  EXPECT_EQ(pacer.retry_in_ms(600), 900);  // the flush spent what 500 ms earned: 0.1 now
}

TEST(AcceptPacerTest, ReconfiguringRefillsAndForgetsTheWait) {
  AcceptPacer pacer = paced(1, 1, 500);
  pacer.took(1);
  pacer.deferred(0);
  pacer.configure(AcceptPace{.rate_per_s = 100, .burst = 20, .max_delay_ms = 500}, 100);
  EXPECT_EQ(pacer.allowance(100), 20u);
  pacer.configure(AcceptPace{}, 200);
  EXPECT_EQ(pacer.allowance(200), AcceptPacer::kUnlimited);
}

TEST(AcceptPacerTest, ThePaceIsSplitOverTheWorkers) {
  struct Case {
    std::uint32_t rate, burst, max_delay;
    unsigned workers;
    double rate_share, burst_share;
  };
  const Case cases[] = {
      {1000, 100, 2000, 1, 1000, 100}, {1000, 100, 2000, 4, 250, 25},
      {1, 1, 2000, 4, 0.25, 1},  // the burst never below one connection
      {0, 100, 2000, 2, 0, 50},  // unlimited stays unlimited
      {1000, 100, 2000, 0, 1000, 100},
  };
  for (const Case& c : cases) {
    const AcceptPace share = accept_pace_share(c.rate, c.burst, c.max_delay, c.workers);
    EXPECT_DOUBLE_EQ(share.rate_per_s, c.rate_share) << c.rate << "/" << c.workers;
    EXPECT_DOUBLE_EQ(share.burst, c.burst_share) << c.burst << "/" << c.workers;
    EXPECT_EQ(share.max_delay_ms, c.max_delay);
  }
}

}  // namespace
}  // namespace funnel::server
