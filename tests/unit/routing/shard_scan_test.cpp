// The cluster SCAN cursor (routing/shard_scan.hpp): encoding, the walk over shards, the reply
// rewrite, and a walk of a model cluster that returns every key at least once.
#include "routing/shard_scan.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace funnel::routing {
namespace {

TEST(ShardScan, CursorCarriesTheShardInItsTopBits) {
  ShardCursor c;
  ASSERT_TRUE(decode_scan_cursor("0", 3, c));
  EXPECT_EQ(c.shard, 0u);
  EXPECT_EQ(c.node_cursor, 0u);
  const std::uint64_t encoded = encode_scan_cursor({2, 12345});
  ASSERT_TRUE(decode_scan_cursor(std::to_string(encoded), 3, c));
  EXPECT_EQ(c.shard, 2u);
  EXPECT_EQ(c.node_cursor, 12345u);
  EXPECT_FALSE(decode_scan_cursor(std::to_string(encoded), 2, c));  // no such shard
  EXPECT_FALSE(decode_scan_cursor("x1", 3, c));
  EXPECT_FALSE(decode_scan_cursor("", 3, c));
  EXPECT_FALSE(decode_scan_cursor("18446744073709551616", 3, c));  // past 64 bits
}

TEST(ShardScan, NextCursorWalksEveryShardThenEnds) {
  std::uint64_t next = 0;
  ASSERT_TRUE(next_scan_cursor(0, 17, 3, next));
  EXPECT_EQ(next, encode_scan_cursor({0, 17}));
  ASSERT_TRUE(next_scan_cursor(0, 0, 3, next));
  EXPECT_EQ(next, encode_scan_cursor({1, 0}));
  ASSERT_TRUE(next_scan_cursor(2, 0, 3, next));
  EXPECT_EQ(next, 0u);
  ASSERT_TRUE(next_scan_cursor(0, 0, 1, next));  // one shard: Redis's own cursor
  EXPECT_EQ(next, 0u);
  EXPECT_FALSE(next_scan_cursor(0, ~kNodeCursorMask, 3, next));
}

TEST(ShardScan, RewritesTheNodesReply) {
  std::string out;
  ASSERT_TRUE(rewrite_scan_reply("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", 0, 2, out));
  const std::string cursor = std::to_string(encode_scan_cursor({1, 0}));
  EXPECT_EQ(out,
            "*2\r\n$" + std::to_string(cursor.size()) + "\r\n" + cursor + "\r\n*1\r\n$1\r\na\r\n");
  out.clear();
  ASSERT_TRUE(rewrite_scan_reply("*2\r\n$2\r\n48\r\n*0\r\n", 0, 1, out));
  EXPECT_EQ(out, "*2\r\n$2\r\n48\r\n*0\r\n");  // one shard, shard 0: the node's cursor as is
  out.clear();
  EXPECT_FALSE(rewrite_scan_reply("-ERR x\r\n", 0, 1, out));
  EXPECT_FALSE(rewrite_scan_reply("*2\r\n$5\r\n1\r\n", 0, 1, out));
  EXPECT_TRUE(out.empty());
}

// A model cluster: each shard's SCAN returns 2 keys per call; the walk sees every key.
TEST(ShardScan, WalkReturnsEveryKeyOfEveryShard) {
  const std::vector<std::vector<std::string>> shards = {
      {"a", "b", "c"}, {}, {"d", "e", "f", "g", "h"}};
  std::set<std::string> seen;
  std::uint64_t cursor = 0;
  for (int calls = 0; calls < 100; ++calls) {
    ShardCursor at;
    ASSERT_TRUE(decode_scan_cursor(std::to_string(cursor), 3, at));
    const auto& keys = shards[at.shard];
    for (std::uint64_t i = at.node_cursor; i < keys.size() && i < at.node_cursor + 2; ++i) {
      seen.insert(keys[i]);
    }
    const std::uint64_t node_next = at.node_cursor + 2 < keys.size() ? at.node_cursor + 2 : 0;
    ASSERT_TRUE(next_scan_cursor(at.shard, node_next, 3, cursor));
    if (cursor == 0) break;
  }
  EXPECT_EQ(seen.size(), 8u);
}

}  // namespace
}  // namespace funnel::routing
