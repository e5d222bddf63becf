// The cluster SCAN cursor (routing/shard_scan.hpp): encoding with the map's tag, the walk over
// shards, the request each shard gets, the reply rewrite, a walk of a model cluster that returns
// every key at least once, and a walk that restarts when a slot moves mid-scan.
#include "routing/shard_scan.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "../command/request_helpers.hpp"
#include "parse_reply.hpp"

namespace funnel::routing {
namespace {

using command::test::ParsedRequest;

TEST(ShardScan, CursorCarriesShardAndTagInItsTopBits) {
  ShardCursor c;
  EXPECT_EQ(decode_scan_cursor("0", 3, 7, c), CursorCheck::kValid);
  EXPECT_EQ(c.shard, 0u);
  EXPECT_EQ(c.tag, 7u);
  EXPECT_EQ(c.node_cursor, 0u);
  const std::uint64_t encoded = encode_scan_cursor({2, 7, 12345});
  ASSERT_EQ(decode_scan_cursor(std::to_string(encoded), 3, 7, c), CursorCheck::kValid);
  EXPECT_EQ(c.shard, 2u);
  EXPECT_EQ(c.node_cursor, 12345u);
  // Another map (tag), or fewer shards now: the walk starts again.
  EXPECT_EQ(decode_scan_cursor(std::to_string(encoded), 3, 8, c), CursorCheck::kRestart);
  EXPECT_EQ(c.shard, 0u);
  EXPECT_EQ(c.node_cursor, 0u);
  EXPECT_EQ(c.tag, 8u);
  EXPECT_EQ(decode_scan_cursor(std::to_string(encoded), 2, 7, c), CursorCheck::kRestart);
  EXPECT_EQ(decode_scan_cursor("x1", 3, 7, c), CursorCheck::kInvalid);
  EXPECT_EQ(decode_scan_cursor("", 3, 7, c), CursorCheck::kInvalid);
  EXPECT_EQ(decode_scan_cursor("-", 3, 7, c), CursorCheck::kInvalid);
  EXPECT_EQ(decode_scan_cursor(" 1", 3, 7, c), CursorCheck::kInvalid);
  // strtoull's signs, as Redis reads them: "-1" is 2^64 - 1 (made up here: a restart).
  EXPECT_EQ(decode_scan_cursor("-1", 3, 7, c), CursorCheck::kRestart);
  EXPECT_EQ(decode_scan_cursor("+0", 3, 7, c), CursorCheck::kValid);
  EXPECT_EQ(decode_scan_cursor("18446744073709551616", 3, 7, c), CursorCheck::kInvalid);
  // The largest cursor fits Redis's unsigned 64-bit cursor and comes back as text intact.
  const std::uint64_t top = encode_scan_cursor({1023, kTagMask, kNodeCursorMask});
  EXPECT_EQ(top, std::numeric_limits<std::uint64_t>::max());
  ASSERT_EQ(decode_scan_cursor(std::to_string(top), 1024, kTagMask, c), CursorCheck::kValid);
  EXPECT_EQ(c.shard, 1023u);
  EXPECT_EQ(c.node_cursor, kNodeCursorMask);
}

TEST(ShardScan, NextCursorWalksEveryShardThenEnds) {
  std::uint64_t next = 0;
  ASSERT_TRUE(next_scan_cursor(0, 17, 3, 5, next));
  EXPECT_EQ(next, encode_scan_cursor({0, 5, 17}));
  ASSERT_TRUE(next_scan_cursor(0, 0, 3, 5, next));
  EXPECT_EQ(next, encode_scan_cursor({1, 5, 0}));
  ASSERT_TRUE(next_scan_cursor(2, 0, 3, 5, next));
  EXPECT_EQ(next, 0u);
  ASSERT_TRUE(next_scan_cursor(0, 0, 1, 5, next));
  EXPECT_EQ(next, 0u);
  EXPECT_FALSE(next_scan_cursor(0, ~kNodeCursorMask, 3, 5, next));
}

TEST(ShardScan, RequestForTheNodeKeepsEveryOption) {
  ParsedRequest request({"scan", "999", "MATCH", "k*", "COUNT", "100", "TYPE", "string"});
  std::string out;
  scan_request_for_node(request.get(), 42, out);
  EXPECT_EQ(out,
            ParsedRequest::encode({"scan", "42", "MATCH", "k*", "COUNT", "100", "TYPE", "string"}));
}

TEST(ShardScan, RewritesTheNodesReply) {
  std::string out;
  ASSERT_TRUE(rewrite_scan_reply("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", {0, 3, 0}, 2, out));
  const std::string cursor = std::to_string(encode_scan_cursor({1, 3, 0}));
  EXPECT_EQ(out,
            "*2\r\n$" + std::to_string(cursor.size()) + "\r\n" + cursor + "\r\n*1\r\n$1\r\na\r\n");
  out.clear();
  ASSERT_TRUE(rewrite_scan_reply("*2\r\n$1\r\n0\r\n*0\r\n", {0, 3, 0}, 1, out));
  EXPECT_EQ(out, "*2\r\n$1\r\n0\r\n*0\r\n");  // the last shard done: 0
  out.clear();
  EXPECT_FALSE(rewrite_scan_reply("-ERR x\r\n", {0, 3, 0}, 1, out));
  EXPECT_FALSE(rewrite_scan_reply("*2\r\n$5\r\n1\r\n", {0, 3, 0}, 1, out));
  EXPECT_FALSE(rewrite_scan_reply("*2\r\n$20\r\n18446744073709551615\r\n*0\r\n", {0, 3, 0}, 1,
                                  out));  // a node cursor past kNodeBits is not truncated
  EXPECT_TRUE(out.empty());
}

// CLUSTER SLOTS of three shards; `moved` gives slot 0 to the third.
std::string three_shards(bool moved) {
  const std::string first = moved ? ":1\r\n" : ":0\r\n";
  std::string reply = moved ? "*4\r\n*3\r\n:0\r\n:0\r\n*2\r\n$1\r\nc\r\n:3\r\n" : "*3\r\n";
  reply += "*3\r\n" + first + ":5460\r\n*2\r\n$1\r\na\r\n:1\r\n";
  reply += "*3\r\n:5461\r\n:10922\r\n*2\r\n$1\r\nb\r\n:2\r\n";
  reply += "*3\r\n:10923\r\n:16383\r\n*2\r\n$1\r\nc\r\n:3\r\n";
  return reply;
}

TEST(ShardScan, TagFollowsTheSlotsOwners) {
  SlotMap before;
  SlotMap again;
  SlotMap after;
  std::string error;
  ASSERT_TRUE(before.assign(parse(three_shards(false)), {"seed", 1, ""}, error)) << error;
  ASSERT_TRUE(again.assign(parse(three_shards(false)), {"seed", 1, ""}, error)) << error;
  ASSERT_TRUE(after.assign(parse(three_shards(true)), {"seed", 1, ""}, error)) << error;
  EXPECT_EQ(scan_map_tag(before), scan_map_tag(again));
  EXPECT_NE(scan_map_tag(before), scan_map_tag(after));
  EXPECT_LE(scan_map_tag(before), kTagMask);
}

// A model cluster: each shard's SCAN returns 2 keys per call (its cursor an index); slots are
// the keys themselves. `move_at` moves key "a" (a slot of shard 0) to shard 2 and "h" (shard 2)
// to shard 0 after that many calls, changing the tag; the walk still sees every key.
std::set<std::string> walk(int move_at) {
  std::vector<std::vector<std::string>> shards = {{"a", "b", "c"}, {}, {"d", "e", "f", "g", "h"}};
  std::uint32_t tag = 1;
  std::set<std::string> seen;
  std::uint64_t cursor = 0;
  for (int calls = 0; calls < 100; ++calls) {
    if (calls == move_at) {
      shards = {{"b", "c", "h"}, {}, {"d", "e", "f", "g", "a"}};
      tag = 2;
    }
    ShardCursor at;
    EXPECT_NE(decode_scan_cursor(std::to_string(cursor), 3, tag, at), CursorCheck::kInvalid);
    const auto& keys = shards[at.shard];
    for (std::uint64_t i = at.node_cursor; i < keys.size() && i < at.node_cursor + 2; ++i) {
      seen.insert(keys[i]);
    }
    const std::uint64_t node_next = at.node_cursor + 2 < keys.size() ? at.node_cursor + 2 : 0;
    EXPECT_TRUE(next_scan_cursor(at.shard, node_next, 3, tag, cursor));
    if (cursor == 0) break;
  }
  return seen;
}

TEST(ShardScan, WalkReturnsEveryKeyEvenWhenSlotsMoveMidScan) {
  for (int move_at = -1; move_at < 8; ++move_at) {
    EXPECT_EQ(walk(move_at).size(), 8u) << "moved after " << move_at << " calls";
  }
}

}  // namespace
}  // namespace funnel::routing
