// Per-user admission limits (security/user_limits.hpp): the commands-per-second bucket, the
// connection count and the refusal texts.
#include "security/user_limits.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace funnel::security {
namespace {

// At `now`, what take() answers (0: allowed, else milliseconds to wait).
struct Take {
  std::int64_t now;
  std::int64_t answer;
};

TEST(UserLimitsTest, TheBucketHoldsOneSecondOfTheShareThenPaces) {
  CommandBucket bucket;
  const Take takes[] = {
      {1000, 0},   {1000, 0}, {1000, 0}, {1000, 0},  // a share of 4 a second: 4 at once
      {1000, 250},                                   // then one each 250 ms
      {1100, 150},                                   //
      {1250, 0},                                     //
      {1250, 250},                                   //
      {9000, 0},   {9000, 0}, {9000, 0}, {9000, 0},  // a long pause refills one second, no more
      {9000, 250},
  };
  for (const Take& t : takes) EXPECT_EQ(bucket.take(4, t.now), t.answer) << "at " << t.now;
}

TEST(UserLimitsTest, ASmallShareStillAllowsOneCommand) {
  CommandBucket bucket;
  EXPECT_EQ(bucket.take(0.5, 0), 0);     // one at once: the capacity is never below one
  EXPECT_EQ(bucket.take(0.5, 0), 2000);  // then one each two seconds
  EXPECT_EQ(bucket.take(0.5, 2000), 0);
}

TEST(UserLimitsTest, ConnectionsAreCountedAndRefusedPastTheLimit) {
  auto counters = std::make_unique<UserCounters>();
  EXPECT_TRUE(enter_user(*counters, 2));
  EXPECT_TRUE(enter_user(*counters, 2));
  EXPECT_FALSE(enter_user(*counters, 2));
  EXPECT_EQ(counters->connections.load(), 2);
  EXPECT_EQ(counters->refused_connections.load(), 1u);
  leave_user(*counters);
  EXPECT_TRUE(enter_user(*counters, 2));
  EXPECT_TRUE(enter_user(*counters, 0));  // no limit: counted, never refused
  EXPECT_EQ(counters->connections.load(), 3);
}

TEST(UserLimitsTest, PinnedLinksAreCountedAndRefusedPastTheLimit) {
  auto counters = std::make_unique<UserCounters>();
  EXPECT_TRUE(enter_pin(*counters, 1));
  EXPECT_FALSE(enter_pin(*counters, 1));
  EXPECT_EQ(counters->pinned.load(), 1);
  EXPECT_EQ(counters->refused_pins.load(), 1u);
  EXPECT_EQ(counters->connections.load(), 0);  // pins are their own count
  leave_pin(*counters);
  EXPECT_TRUE(enter_pin(*counters, 1));
  EXPECT_TRUE(enter_pin(*counters, 0));  // no limit: counted, never refused
  EXPECT_EQ(counters->pinned.load(), 2);
}

TEST(UserLimitsTest, EachWorkersShareHasItsOwnCacheLine) {
  EXPECT_EQ(sizeof(UserCounters::Share), 64u);
}

TEST(UserLimitsTest, RefusalsUseRedisTextsWhereTheMeaningMatches) {
  EXPECT_EQ(user_connections_error("app", 5).rfind("ERR max number of clients reached", 0), 0u);
  EXPECT_NE(user_connections_error("app", 5).find("user 'app'"), std::string::npos);
  EXPECT_EQ(user_rate_error("app", 100, 7),
            "ERR funnel: user 'app' exceeded 100 commands per second; retry after 7 ms");
  EXPECT_EQ(user_pinned_error("app", 2).rfind(
                "ERR funnel: user 'app' has 2 clients holding a pinned backend link", 0),
            0u);
  EXPECT_NE(user_pinned_error("app", 2).find("max_pinned"), std::string::npos);
}

}  // namespace
}  // namespace funnel::security
