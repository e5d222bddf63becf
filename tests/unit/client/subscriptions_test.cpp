// The no-I/O pub/sub pieces of the client side: a session's subscriptions and Redis's counts,
// the worker's index (first in / last out), and reply bytes as redis-server 7.0 sends them.
#include "client/subscriptions.hpp"

#include <gtest/gtest.h>

namespace funnel::client {
namespace {

using resp::Protocol;

TEST(SessionSubscriptions, CountsAreRedisOwn) {
  SessionSubscriptions subs(nullptr);
  EXPECT_TRUE(subs.add(PubsubKind::kChannel, "a"));
  EXPECT_TRUE(subs.add(PubsubKind::kChannel, "b"));
  EXPECT_FALSE(subs.add(PubsubKind::kChannel, "a"));  // again: same count, as Redis
  EXPECT_EQ(subs.reply_count(PubsubKind::kChannel), 2);
  EXPECT_TRUE(subs.add(PubsubKind::kPattern, "a"));  // a pattern is its own namespace
  // Channels and patterns count together; shard channels alone (Redis 7.0).
  EXPECT_EQ(subs.reply_count(PubsubKind::kPattern), 3);
  EXPECT_TRUE(subs.add(PubsubKind::kShard, "s1"));
  EXPECT_EQ(subs.reply_count(PubsubKind::kShard), 1);
  EXPECT_EQ(subs.reply_count(PubsubKind::kChannel), 3);
  EXPECT_EQ(subs.total(), 4u);
  EXPECT_TRUE(subs.remove(PubsubKind::kChannel, "a"));
  EXPECT_FALSE(subs.remove(PubsubKind::kChannel, "a"));
  EXPECT_FALSE(subs.remove(PubsubKind::kChannel, "zz"));
  EXPECT_EQ(subs.reply_count(PubsubKind::kChannel), 2);
  EXPECT_TRUE(subs.contains(PubsubKind::kPattern, "a"));
  EXPECT_FALSE(subs.contains(PubsubKind::kChannel, "a"));
}

TEST(SessionSubscriptions, NamesKeepSubscriptionOrder) {
  SessionSubscriptions subs(nullptr);
  for (const char* name : {"z", "a", "m", "b"}) subs.add(PubsubKind::kPattern, name);
  subs.remove(PubsubKind::kPattern, "m");
  subs.add(PubsubKind::kPattern, "m");
  EXPECT_EQ(subs.names(PubsubKind::kPattern), (std::vector<std::string>{"z", "a", "b", "m"}));
  EXPECT_TRUE(subs.names(PubsubKind::kChannel).empty());
}

TEST(SubscriptionIndex, FirstInAndLastOutAreReported) {
  SubscriptionIndex index;
  SessionSubscriptions one(nullptr), two(nullptr);
  bool confirmed = true;
  EXPECT_TRUE(index.join(PubsubKind::kChannel, "c", &one, confirmed));
  EXPECT_FALSE(confirmed);
  EXPECT_FALSE(index.join(PubsubKind::kChannel, "c", &two, confirmed));
  EXPECT_FALSE(confirmed);
  // The same name of another kind is another entry.
  EXPECT_TRUE(index.join(PubsubKind::kPattern, "c", &one, confirmed));
  EXPECT_EQ(index.entries(PubsubKind::kChannel), 1u);
  EXPECT_EQ(index.entries(PubsubKind::kPattern), 1u);

  const auto waiting = index.confirm(PubsubKind::kChannel, "c");
  EXPECT_EQ(waiting.size(), 2u);
  EXPECT_TRUE(index.confirm(PubsubKind::kChannel, "c").empty());  // a repeat wakes no one
  SessionSubscriptions three(nullptr);
  EXPECT_FALSE(index.join(PubsubKind::kChannel, "c", &three, confirmed));
  EXPECT_TRUE(confirmed);  // confirmed already: answered at once
  ASSERT_NE(index.members(PubsubKind::kChannel, "c"), nullptr);
  EXPECT_EQ(index.members(PubsubKind::kChannel, "c")->size(), 3u);

  EXPECT_FALSE(index.leave(PubsubKind::kChannel, "c", &one));
  EXPECT_FALSE(index.leave(PubsubKind::kChannel, "c", &two));
  EXPECT_FALSE(index.leave(PubsubKind::kChannel, "nope", &two));
  EXPECT_TRUE(index.leave(PubsubKind::kChannel, "c", &three));
  EXPECT_EQ(index.members(PubsubKind::kChannel, "c"), nullptr);
  EXPECT_EQ(index.entries(PubsubKind::kChannel), 0u);
}

TEST(SubscriptionIndex, LeavingRemovesFromTheWaitingList) {
  SubscriptionIndex index;
  SessionSubscriptions one(nullptr), two(nullptr);
  bool confirmed = false;
  index.join(PubsubKind::kShard, "s", &one, confirmed);
  index.join(PubsubKind::kShard, "s", &two, confirmed);
  index.leave(PubsubKind::kShard, "s", &one);
  const auto waiting = index.confirm(PubsubKind::kShard, "s");
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0], &two);
}

std::string reply(Protocol protocol, std::string_view word, const char* name, std::int64_t n) {
  std::string out;
  std::string_view view = name != nullptr ? std::string_view(name) : std::string_view();
  write_subscription_reply(out, protocol, word, name != nullptr ? &view : nullptr, n);
  return out;
}

// Every expected byte below was captured from redis-server 7.0.15.
TEST(PubsubReplies, SubscribeRepliesInBothProtocols) {
  EXPECT_EQ(reply(Protocol::kResp2, "subscribe", "a", 1),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(reply(Protocol::kResp3, "subscribe", "b", 2),
            ">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
  EXPECT_EQ(reply(Protocol::kResp2, "psubscribe", "p*", 3),
            "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n");
  EXPECT_EQ(reply(Protocol::kResp3, "ssubscribe", "s1", 1),
            ">3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n");
}

TEST(PubsubReplies, UnsubscribeWithNothingSubscribed) {
  EXPECT_EQ(reply(Protocol::kResp2, "unsubscribe", nullptr, 0),
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  EXPECT_EQ(reply(Protocol::kResp3, "punsubscribe", nullptr, 0),
            ">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n");
  EXPECT_EQ(reply(Protocol::kResp3, "sunsubscribe", nullptr, 0),
            ">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n");
}

TEST(PubsubReplies, PingInSubscribeMode) {
  std::string out;
  write_subscribed_ping(out, "");
  EXPECT_EQ(out, "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  out.clear();
  write_subscribed_ping(out, "hi");
  EXPECT_EQ(out, "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
}

TEST(PubsubReplies, PushesAreReheadedForTheClientsProtocol) {
  const std::string_view push = ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nm1\r\n";
  std::string out = "+OK\r\n";  // pushes go between whole replies
  append_push(out, Protocol::kResp2, push);
  EXPECT_EQ(out, "+OK\r\n*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nm1\r\n");
  out.clear();
  append_push(out, Protocol::kResp3, push);
  EXPECT_EQ(out, push);
}

}  // namespace
}  // namespace funnel::client
