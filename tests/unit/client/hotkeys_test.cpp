// Sampled hot keys (hotkeys.hpp): the space-saving table keeps every key seen at least N/K
// times and never under-counts; windows roll; workers' tables merge by key.
#include "client/hotkeys.hpp"

#include <gtest/gtest.h>

namespace funnel::client {
namespace {

TEST(SpaceSaving, KeepsTheHeavyKeysAmongManyLightOnes) {
  SpaceSaving table(8);
  for (int round = 0; round < 100; ++round) {
    table.add("hot", 1);
    table.add("warm", 1);
    if (round % 2 == 0) table.add("warm", 1);
    table.add("light" + std::to_string(round), 1);  // 100 distinct keys, once each
  }
  const auto top = table.top();
  ASSERT_GE(top.size(), 2u);
  EXPECT_EQ(top[0].first, "warm");
  EXPECT_GE(top[0].second, 150u);  // never under-estimated
  EXPECT_EQ(top[1].first, "hot");
  EXPECT_GE(top[1].second, 100u);
  EXPECT_EQ(top.size(), 8u);  // bounded
}

TEST(SpaceSaving, NewKeyTakesTheSmallestCountPlusItsWeight) {
  SpaceSaving table(2);
  table.add("a", 5);
  table.add("b", 2);
  table.add("c", 1);  // replaces b: 2 + 1
  const auto top = table.top();
  EXPECT_EQ(top, (std::vector<KeyCount>{{"a", 5}, {"c", 3}}));
}

TEST(HotKeys, MergesWorkersAndRollsWindows) {
  HotKeys hot(2, 10, 1000);
  for (int i = 0; i < 5; ++i) hot.sample(0, "k1");
  for (int i = 0; i < 3; ++i) hot.sample(1, "k1");
  hot.sample(1, "k2");
  EXPECT_TRUE(hot.top(10).empty());  // nothing published yet
  hot.publish(0, 500);               // within the first window
  hot.publish(1, 500);
  EXPECT_EQ(hot.top(10), (std::vector<KeyCount>{{"k1", 80}, {"k2", 10}}));
  EXPECT_EQ(hot.top(1), (std::vector<KeyCount>{{"k1", 80}}));
  // One window later the counts are still there (the previous window); two later, gone.
  hot.publish(0, 1000);
  hot.publish(1, 1000);
  EXPECT_EQ(hot.top(1), (std::vector<KeyCount>{{"k1", 80}}));
  hot.publish(0, 2000);
  hot.publish(1, 2000);
  EXPECT_TRUE(hot.top(10).empty());
}

TEST(HotKeys, LongKeysAreCountedByTheirPrefix) {
  HotKeys hot(1, 1, 1000);
  hot.sample(0, std::string(1000, 'x'));
  hot.publish(0, 1000);
  ASSERT_EQ(hot.top(1).size(), 1u);
  EXPECT_EQ(hot.top(1)[0].first.size(), HotKeys::kMaxKeyBytes);
}

}  // namespace
}  // namespace funnel::client
