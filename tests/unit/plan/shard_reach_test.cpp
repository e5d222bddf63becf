// Which shards a cluster request reaches, and so whether the shard failover hold holds it
// (plan/shard_reach.hpp): one row per command family, with the shards held.
#include "plan/shard_reach.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "../command/request_helpers.hpp"

namespace funnel::plan {
namespace {

using command::test::ParsedRequest;

struct Row {
  std::vector<std::string> args;
  Reach reach;
  std::uint8_t step;
  std::set<std::uint16_t> held;  // shards whose primary is held
  bool holds;
};

// Three shards; a key's shard is its first letter's (a: 0, b: 1, c: 2). The first key's shard
// stands for kOneNode (0 when keyless, as slot 0's), the cursor's shard is 2.
std::uint16_t shard_of(std::string_view key) {
  return key.empty() || key[0] < 'a' || key[0] > 'c' ? ShardFacts::kNone
                                                     : static_cast<std::uint16_t>(key[0] - 'a');
}

TEST(ShardReach, ASplitOrFanOutWaitsWholeWhenAnyShardItReachesIsHeld) {
  const std::vector<Row> rows = {
      // One node: the first key's shard only.
      {{"GET", "b1"}, Reach::kOneNode, 1, {1}, true},
      {{"GET", "a1"}, Reach::kOneNode, 1, {1}, false},
      {{"RENAME", "a1", "{a1}x"}, Reach::kOneNode, 1, {1}, false},
      {{"MSETNX", "a1", "1", "b1", "2"}, Reach::kOneNode, 1, {1}, false},  // CROSSSLOT anyway
      {{"TIME"}, Reach::kOneNode, 1, {0}, true},  // keyless, single node: slot 0's shard
      // Splits by slot: every key's shard, the first or a later one.
      {{"MGET", "a1", "b1", "c1"}, Reach::kEachKey, 1, {2}, true},
      {{"MGET", "a1", "b1", "c1"}, Reach::kEachKey, 1, {0}, true},
      {{"MGET", "a1", "a2"}, Reach::kEachKey, 1, {1}, false},
      {{"MSET", "a1", "b", "c1", "c"}, Reach::kEachKey, 2, {2}, true},
      // MSET's values are not keys: "b" (a value) in a held shard does not hold it.
      {{"MSET", "a1", "b", "a2", "b"}, Reach::kEachKey, 2, {1}, false},
      {{"MSET", "a1", "1", "b1"}, Reach::kOneNode, 1, {1}, false},  // arity error, not split
      {{"DEL", "a1", "c1"}, Reach::kEachKey, 1, {2}, true},
      {{"UNLINK", "a1", "c1"}, Reach::kEachKey, 1, {1}, false},
      {{"EXISTS", "c1"}, Reach::kEachKey, 1, {2}, true},
      {{"TOUCH", "b1", "a1"}, Reach::kEachKey, 1, {0}, true},
      // Keyless fan-outs: every primary.
      {{"DBSIZE"}, Reach::kEveryPrimary, 1, {2}, true},
      {{"DBSIZE"}, Reach::kEveryPrimary, 1, {}, false},
      {{"KEYS", "*"}, Reach::kEveryPrimary, 1, {1}, true},
      {{"RANDOMKEY"}, Reach::kEveryPrimary, 1, {1}, true},
      {{"SCRIPT", "LOAD", "return 1"}, Reach::kEveryPrimary, 1, {2}, true},
      {{"FUNCTION", "FLUSH"}, Reach::kEveryPrimary, 1, {1}, true},
      {{"FLUSHALL"}, Reach::kEveryPrimary, 1, {1}, true},
      // SCAN: the cursor's shard only.
      {{"SCAN", "0"}, Reach::kCursorShard, 1, {2}, true},
      {{"SCAN", "0"}, Reach::kCursorShard, 1, {0, 1}, false},
  };
  const auto table = command::CommandTable::builtin();
  for (const Row& row : rows) {
    ParsedRequest request(row.args);
    command::Classification cls;
    command::classify(*table, request.get(), cls);
    std::string label;
    for (const std::string& arg : row.args) label += " " + arg;
    const ShardReach reach = shard_reach(cls, request.get());
    EXPECT_EQ(reach.reach, row.reach) << label;
    EXPECT_EQ(reach.step, row.step) << label;
    ShardFacts facts;
    facts.shards = 3;
    facts.one_node = cls.spec->first_key > 0 ? shard_of(request.get().arg(1)) : 0;
    facts.cursor_shard = 2;
    const bool holds = reach_held(reach, request.get(), facts, shard_of,
                                  [&](std::uint16_t s) { return row.held.count(s) != 0; });
    EXPECT_EQ(holds, row.holds) << label;
  }
}

// A shard past the layout, a key no shard serves, or a SCAN cursor Redis would refuse: not held
// (the request is answered as without a hold).
TEST(ShardReach, NothingOutsideTheLayoutHolds) {
  const auto all = [](std::uint16_t) { return true; };
  ParsedRequest mget({"MGET", "x1", "z1"});
  EXPECT_FALSE(reach_held({Reach::kEachKey, 1}, mget.get(), ShardFacts{3}, shard_of, all));
  ParsedRequest scan({"SCAN", "junk"});
  EXPECT_FALSE(reach_held({Reach::kCursorShard, 1}, scan.get(), ShardFacts{3}, shard_of, all));
  ParsedRequest get({"GET", "a1"});
  EXPECT_FALSE(reach_held({Reach::kOneNode, 1}, get.get(), ShardFacts{3, 7}, shard_of, all));
  EXPECT_FALSE(reach_held({Reach::kEveryPrimary, 1}, get.get(), ShardFacts{0}, shard_of, all));
}

}  // namespace
}  // namespace funnel::plan
