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

// A large reply streamed in parts: the head's parts go straight out, a later reply's parts wait
// (stashed, and counted) until its turn, then its remaining parts go straight out.
TEST(ReplyQueue, PartsOfTheHeadGoStraightOut) {
  ReplyQueue queue;
  std::string out;
  const auto a = queue.open_slot();
  const auto b = queue.open_slot();
  EXPECT_EQ(queue.deliver_part(a, "$6\r\nab", false, out), ReplyQueue::Part::kAppended);
  EXPECT_EQ(out, "$6\r\nab");
  EXPECT_TRUE(queue.deliver(b, "+B\r\n", out));  // early: waits for a's last part
  EXPECT_EQ(out, "$6\r\nab");
  EXPECT_EQ(queue.deliver_part(a, "cdef\r\n", true, out), ReplyQueue::Part::kAppended);
  EXPECT_EQ(out, "$6\r\nabcdef\r\n+B\r\n");
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(queue.stashed_bytes(), 0u);
}

TEST(ReplyQueue, PartsOfALaterReplyAreStashedUntilItsTurn) {
  ReplyQueue queue;
  std::string out;
  const auto a = queue.open_slot();
  const auto b = queue.open_slot();
  const auto c = queue.open_slot();
  const std::string big(100, 'x');
  EXPECT_EQ(queue.deliver_part(b, big, false, out), ReplyQueue::Part::kStashed);
  EXPECT_EQ(queue.deliver_part(b, big, false, out), ReplyQueue::Part::kStashed);
  EXPECT_GE(queue.stashed_bytes(), 200u);
  EXPECT_TRUE(queue.deliver(c, "+C\r\n", out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(queue.deliver(a, "+A\r\n", out));  // b's start follows; b is now the head
  EXPECT_EQ(out, "+A\r\n" + big + big);
  EXPECT_EQ(queue.head(), b);
  EXPECT_EQ(queue.deliver_part(b, "end", true, out), ReplyQueue::Part::kAppended);
  EXPECT_EQ(out, "+A\r\n" + big + big + "end+C\r\n");
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(queue.stashed_bytes(), 0u);
}

TEST(ReplyQueue, AWholeReplyForAPartlyDeliveredOneIsRejected) {
  ReplyQueue queue;
  std::string out;
  const auto a = queue.open_slot();
  const auto b = queue.open_slot();
  ASSERT_EQ(queue.deliver_part(a, "*2\r\n", false, out), ReplyQueue::Part::kAppended);
  EXPECT_FALSE(queue.deliver(a, "-ERR lost\r\n", out));
  ASSERT_EQ(queue.deliver_part(b, "*2\r\n", false, out), ReplyQueue::Part::kStashed);
  EXPECT_FALSE(queue.deliver(b, "-ERR lost\r\n", out));
  EXPECT_EQ(queue.deliver_part(b, ":1\r\n:2\r\n", true, out), ReplyQueue::Part::kStashed);
  EXPECT_EQ(queue.deliver_part(b, "x", true, out), ReplyQueue::Part::kRejected);
  EXPECT_EQ(queue.deliver_part(a + 5, "x", true, out), ReplyQueue::Part::kRejected);
  EXPECT_EQ(out, "*2\r\n");
}

}  // namespace
}  // namespace funnel::client
