// ReplyQueue: replies leave in request order whatever order they arrive in.
#include "client/reply_queue.hpp"

#include <algorithm>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

namespace funnel::client {
namespace {

TEST(ReplyQueue, InOrderRepliesGoStraightOut) {
  ReplyQueue queue;
  std::string out;
  const auto a = queue.open_slot();
  const auto b = queue.open_slot();
  EXPECT_EQ(queue.pending(), 2u);
  EXPECT_TRUE(queue.deliver(a, "+A\r\n", out));
  EXPECT_EQ(out, "+A\r\n");
  EXPECT_TRUE(queue.deliver(b, "+B\r\n", out));
  EXPECT_EQ(out, "+A\r\n+B\r\n");
  EXPECT_TRUE(queue.idle());
}

TEST(ReplyQueue, EarlyRepliesWaitForTheirTurn) {
  ReplyQueue queue;
  std::string out;
  const auto a = queue.open_slot();
  const auto b = queue.open_slot();
  const auto c = queue.open_slot();
  EXPECT_TRUE(queue.deliver(c, "+C\r\n", out));
  EXPECT_TRUE(queue.deliver(b, "+B\r\n", out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(queue.deliver(a, "+A\r\n", out));
  EXPECT_EQ(out, "+A\r\n+B\r\n+C\r\n");
  EXPECT_TRUE(queue.idle());
}

TEST(ReplyQueue, DuplicatesAndUnknownSlotsAreRefused) {
  ReplyQueue queue;
  std::string out;
  const auto a = queue.open_slot();
  const auto b = queue.open_slot();
  EXPECT_TRUE(queue.deliver(b, "+B\r\n", out));
  EXPECT_FALSE(queue.deliver(b, "+B2\r\n", out));
  EXPECT_FALSE(queue.deliver(b + 1, "+X\r\n", out));
  EXPECT_TRUE(queue.deliver(a, "+A\r\n", out));
  EXPECT_FALSE(queue.deliver(a, "+A2\r\n", out));
  EXPECT_EQ(out, "+A\r\n+B\r\n");
}

TEST(ReplyQueue, AnyArrivalOrderGivesRequestOrder) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    ReplyQueue queue;
    std::vector<std::uint64_t> seqs(64);
    for (auto& seq : seqs) seq = queue.open_slot();
    std::vector<std::uint64_t> arrival = seqs;
    std::shuffle(arrival.begin(), arrival.end(), rng);
    std::string out, expected;
    for (auto seq : seqs) expected += ":" + std::to_string(seq) + "\r\n";
    for (auto seq : arrival)
      ASSERT_TRUE(queue.deliver(seq, ":" + std::to_string(seq) + "\r\n", out));
    EXPECT_EQ(out, expected);
    EXPECT_TRUE(queue.idle());
  }
}

}  // namespace
}  // namespace funnel::client
