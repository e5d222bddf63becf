// PUBLISH / NUMSUB counts through Funnel (no I/O): the backend's count with Funnel's subscriber
// link replaced by the clients behind it, and Redis's pattern matching for PSUBSCRIBE.
#include "client/pubsub_counts.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace funnel::client {
namespace {

// Each row checked against redis-server 7.0.15: PSUBSCRIBE pattern, PUBLISH channel, receivers.
TEST(PubsubPatternMatches, AsRedisStringmatchlen) {
  const struct {
    std::string_view pattern, channel;
    bool match;
  } rows[] = {
      {"*", "", false},  // stringmatchlen never matches an empty string against "*"
      {"", "", true},
      {"*", "a", true},
      {"a*", "", false},
      {"?", "", false},
      {"[a-]", "b", false},
      {"[a-]", "-", false},
      {"[a-]", "]", true},  // a range from 'a' down to ']'
      {"[^a]", "", false},
      {"\\", "\\", true},
      {"a[", "a", false},
      {"[", "x", false},
      {"a\\*b", "a*b", true},
      {"[]a]", "a", false},  // "[]" is an empty class
      {"[]a]", "]", false},
      {"[z-a]", "m", true},
      {"*a*b", "xaxb", true},
      {"h?llo*", "hallo world", true},
      {"ch*", "chan1", true},
      {"chan?", "chan12", false},
      {"[\x80-\xff]", "\x90", true},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(pubsub_pattern_matches(row.pattern, row.channel), row.match)
        << "'" << row.pattern << "' against '" << row.channel << "'";
  }
}

// One scenario per row: what Funnel's clients hold, what the backend confirmed on the link, the
// backend's count and the count a client of Funnel gets.
struct Holding {
  PubsubKind kind;
  std::string_view name;
  int clients;
  bool on_link;
};

std::unique_ptr<PubsubCounts> make_counts(const std::vector<Holding>& holdings) {
  auto counts = std::make_unique<PubsubCounts>();  // holds a mutex: not movable
  for (const Holding& h : holdings) {
    for (int i = 0; i < h.clients; ++i) counts->add_client(h.kind, h.name, 1);
    if (h.on_link) counts->set_on_link(h.kind, h.name, true);
  }
  return counts;
}

TEST(PubsubCounts, PublishCountsEveryClientAndNotTheLink) {
  constexpr auto kChannel = PubsubKind::kChannel;
  constexpr auto kPattern = PubsubKind::kPattern;
  constexpr auto kShard = PubsubKind::kShard;
  const struct {
    const char* what;
    std::vector<Holding> holdings;
    PubsubKind kind;
    std::string_view channel;
    std::int64_t backend, want;
  } rows[] = {
      {"nothing through Funnel", {}, kChannel, "c", 3, 3},
      {"two clients, one link", {{kChannel, "c", 2, true}}, kChannel, "c", 1, 2},
      {"plus a direct subscriber", {{kChannel, "c", 2, true}}, kChannel, "c", 2, 3},
      {"another channel", {{kChannel, "c", 2, true}}, kChannel, "d", 0, 0},
      {"patterns count per match (backend: link on chan1 and ch*, one direct client)",
       {{kChannel, "chan1", 2, true}, {kPattern, "ch*", 1, true}, {kPattern, "x*", 3, true}},
       kChannel,
       "chan1",
       3,
       4},
      {"a client in both counts twice",
       {{kChannel, "c", 1, true}, {kPattern, "*", 1, true}},
       kChannel,
       "c",
       2,
       2},
      {"not yet confirmed on the link: no message, no count",
       {{kChannel, "c", 2, false}},
       kChannel,
       "c",
       0,
       0},
      {"last client left, UNSUBSCRIBE not yet confirmed",
       {{kChannel, "c", 0, true}},
       kChannel,
       "c",
       1,
       0},
      {"a racing UNSUBSCRIBE never makes it negative",
       {{kChannel, "c", 0, true}},
       kChannel,
       "c",
       0,
       0},
      {"shard channels count alone",
       {{kShard, "s", 2, true}, {kChannel, "s", 5, true}},
       kShard,
       "s",
       1,
       2},
      {"patterns do not see shard channels", {{kPattern, "*", 4, true}}, kShard, "s", 0, 0},
      {"a channel is not a shard channel", {{kShard, "c", 4, true}}, kChannel, "c", 0, 0},
  };
  for (const auto& row : rows) {
    const auto owner = make_counts(row.holdings);
    const PubsubCounts& counts = *owner;
    EXPECT_EQ(counts.publish_receivers(row.kind, row.channel, row.backend), row.want) << row.what;
  }
}

TEST(PubsubCounts, NumsubIgnoresPatterns) {
  const auto owner = make_counts({{PubsubKind::kChannel, "c", 3, true},
                                  {PubsubKind::kPattern, "c", 2, true},
                                  {PubsubKind::kShard, "s", 2, true}});
  const PubsubCounts& counts = *owner;
  EXPECT_EQ(counts.subscribers(PubsubKind::kChannel, "c", 1), 3);
  EXPECT_EQ(counts.subscribers(PubsubKind::kChannel, "c", 4), 6);  // three direct ones too
  EXPECT_EQ(counts.subscribers(PubsubKind::kChannel, "s", 0), 0);
  EXPECT_EQ(counts.subscribers(PubsubKind::kShard, "s", 1), 2);
}

TEST(PubsubCounts, ClientsLeavingAndTheLinkDroppingAreForgotten) {
  auto owned = make_counts({{PubsubKind::kChannel, "c", 2, true}});
  PubsubCounts& counts = *owned;
  counts.add_client(PubsubKind::kChannel, "c", -1);
  EXPECT_EQ(counts.publish_receivers(PubsubKind::kChannel, "c", 1), 1);
  counts.add_client(PubsubKind::kChannel, "c", -1);
  EXPECT_EQ(counts.publish_receivers(PubsubKind::kChannel, "c", 1), 0);  // link still there
  counts.set_on_link(PubsubKind::kChannel, "c", false);
  EXPECT_EQ(counts.publish_receivers(PubsubKind::kChannel, "c", 0), 0);
  counts.add_client(PubsubKind::kChannel, "c", -1);  // more leaves than joins: ignored
  counts.add_client(PubsubKind::kChannel, "c", 1);
  counts.set_on_link(PubsubKind::kChannel, "c", true);
  counts.link_lost();  // the connection dropped: its subscriptions went with it
  EXPECT_EQ(counts.publish_receivers(PubsubKind::kChannel, "c", 0), 0);
  counts.set_on_link(PubsubKind::kChannel, "c", true);  // re-subscribed on the new connection
  EXPECT_EQ(counts.publish_receivers(PubsubKind::kChannel, "c", 1), 1);
}

TEST(CorrectPubsubCount, RewritesOnlyTheCounts) {
  const auto owner =
      make_counts({{PubsubKind::kChannel, "a", 3, true}, {PubsubKind::kShard, "s", 2, true}});
  const PubsubCounts& counts = *owner;
  const struct {
    const char* what;
    CountedReply counted;
    std::string_view reply;
    std::string_view want;
  } rows[] = {
      {"PUBLISH", {PubsubKind::kChannel, false, "a"}, ":1\r\n", ":3\r\n"},
      {"SPUBLISH", {PubsubKind::kShard, false, "s"}, ":2\r\n", ":3\r\n"},
      {"PUBLISH's error passes", {PubsubKind::kChannel, false, "a"}, "-ERR x\r\n", "-ERR x\r\n"},
      {"NUMSUB",
       {PubsubKind::kChannel, true, ""},
       "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:0\r\n",
       "*4\r\n$1\r\na\r\n:3\r\n$1\r\nb\r\n:0\r\n"},
      {"NUMSUB without channels", {PubsubKind::kChannel, true, ""}, "*0\r\n", "*0\r\n"},
      {"SHARDNUMSUB",
       {PubsubKind::kShard, true, ""},
       "*2\r\n$1\r\ns\r\n:1\r\n",
       "*2\r\n$1\r\ns\r\n:2\r\n"},
      {"an unexpected shape passes",
       {PubsubKind::kChannel, true, ""},
       "*1\r\n:1\r\n",
       "*1\r\n:1\r\n"},
  };
  for (const auto& row : rows) {
    for (const auto protocol : {resp::Protocol::kResp2, resp::Protocol::kResp3}) {
      std::string out = "before|";
      correct_pubsub_count(counts, row.counted, row.reply, protocol, out);
      EXPECT_EQ(out, "before|" + std::string(row.want)) << row.what;
    }
  }
}

}  // namespace
}  // namespace funnel::client
