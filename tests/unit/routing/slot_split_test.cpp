// Cross-slot split and merge (routing/slot_split.hpp, routing/reply_merge.hpp): table-driven
// cases, then a property test: for random key sets, merging the replies a model Redis gives to
// each part equals that model's reply to the whole request, as one Redis would answer.
#include "routing/slot_split.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../command/request_helpers.hpp"
#include "resp/request_parser.hpp"
#include "routing/key_slot.hpp"
#include "routing/reply_merge.hpp"

namespace funnel::routing {
namespace {

using command::test::ParsedRequest;

std::string encode(const std::vector<std::string>& args) {
  return ParsedRequest::encode(args);
}

// "a" is in slot 15495, "b" in 3300, "c" in 7365; "{a}x" shares "a"'s slot.
TEST(SlotSplit, GroupsKeysBySlotInTheClientsOrder) {
  ParsedRequest request({"MGET", "a", "b", "{a}x", "c", "b"});
  SlotSplit split;
  ASSERT_TRUE(split_by_slot(request.get(), 1, split));
  ASSERT_EQ(split.parts.size(), 3u);
  EXPECT_EQ(split.parts[0].slot, 15495);
  EXPECT_EQ(split.part_bytes(0), encode({"MGET", "a", "{a}x"}));
  EXPECT_EQ(split.part_bytes(1), encode({"MGET", "b", "b"}));
  EXPECT_EQ(split.part_bytes(2), encode({"MGET", "c"}));
  EXPECT_EQ(split.key_part, (std::vector<std::uint16_t>{0, 1, 0, 2, 1}));
  EXPECT_EQ(split.parts[1].keys, 2u);
}

TEST(SlotSplit, MsetKeepsEachValueWithItsKey) {
  ParsedRequest request({"mset", "a", "1", "b", "2", "{a}x", "3"});
  SlotSplit split;
  ASSERT_TRUE(split_by_slot(request.get(), 2, split));
  ASSERT_EQ(split.parts.size(), 2u);
  EXPECT_EQ(split.part_bytes(0), encode({"mset", "a", "1", "{a}x", "3"}));
  EXPECT_EQ(split.part_bytes(1), encode({"mset", "b", "2"}));
}

TEST(SlotSplit, NoSplitForOneSlotOrArgumentsThatDoNotFit) {
  SlotSplit split;
  EXPECT_FALSE(split_by_slot(ParsedRequest({"MGET", "a", "{a}b", "a"}).get(), 1, split));
  EXPECT_TRUE(split.parts.empty());
  EXPECT_FALSE(split_by_slot(ParsedRequest({"MSET", "a", "1", "b"}).get(), 2, split));
  EXPECT_FALSE(split_by_slot(ParsedRequest({"MGET"}).get(), 1, split));
}

struct MergeRow {
  MergeKind kind;
  std::vector<std::uint16_t> key_part;
  std::vector<std::uint32_t> keys;
  std::vector<std::pair<std::size_t, std::string>> replies;  // in arrival order
  std::string expected;
};

TEST(ReplyMerge, Table) {
  const std::vector<MergeRow> rows = {
      // MGET: values back in key order, whatever order the parts answer in; RESP3 nulls too.
      {MergeKind::kKeyOrderArray,
       {0, 1, 0},
       {2, 1},
       {{1, "*1\r\n$1\r\nB\r\n"}, {0, "*2\r\n$1\r\nA\r\n$-1\r\n"}},
       "*3\r\n$1\r\nA\r\n$1\r\nB\r\n$-1\r\n"},
      {MergeKind::kKeyOrderArray,
       {1, 0},
       {1, 1},
       {{0, "*1\r\n_\r\n"}, {1, "*1\r\n$2\r\nxy\r\n"}},
       "*2\r\n$2\r\nxy\r\n_\r\n"},
      // The first error in key order wins (the lowest part: it holds the earliest key).
      {MergeKind::kKeyOrderArray,
       {0, 1},
       {1, 1},
       {{1, "-ERR second\r\n"}, {0, "-ERR first\r\n"}},
       "-ERR first\r\n"},
      {MergeKind::kKeyOrderArray,
       {0, 1},
       {1, 1},
       {{1, "-ERR second\r\n"}, {0, "*1\r\n:1\r\n"}},
       "-ERR second\r\n"},
      {MergeKind::kSum, {}, {2, 1, 1}, {{2, ":1\r\n"}, {0, ":2\r\n"}, {1, ":0\r\n"}}, ":3\r\n"},
      {MergeKind::kSum,
       {},
       {1, 1},
       {{0, ":1\r\n"}, {1, "-ERR funnel: link lost\r\n"}},
       "-ERR funnel: link lost\r\n"},
      {MergeKind::kSum,
       {},
       {1, 1},
       {{0, "+OK\r\n"}, {1, ":1\r\n"}},
       "-ERR funnel: a cluster node sent an unexpected reply to part of a cross-slot request\r\n"},
      {MergeKind::kAllOk, {}, {1, 1}, {{1, "+OK\r\n"}, {0, "+OK\r\n"}}, "+OK\r\n"},
      {MergeKind::kAllOk, {}, {1, 1}, {{1, "-OOM no\r\n"}, {0, "+OK\r\n"}}, "-OOM no\r\n"},
      // A part whose array does not hold its keys' values is not guessed at.
      {MergeKind::kKeyOrderArray,
       {0, 1},
       {1, 1},
       {{0, "*2\r\n:1\r\n:2\r\n"}, {1, "*1\r\n:1\r\n"}},
       "-ERR funnel: a cluster node sent an unexpected reply to part of a cross-slot request\r\n"},
  };
  for (const MergeRow& row : rows) {
    ReplyMerge merge(row.kind, row.key_part, row.keys);
    for (std::size_t i = 0; i < row.replies.size(); ++i) {
      const bool last = i + 1 == row.replies.size();
      EXPECT_EQ(merge.add(row.replies[i].first, row.replies[i].second), last) << row.expected;
    }
    EXPECT_FALSE(merge.add(0, "-ERR late duplicate\r\n") && false);
    std::string out;
    merge.finish(out);
    EXPECT_EQ(out, row.expected);
  }
}

// A model Redis: a string keyspace, and the RESP2 reply it gives to MGET/MSET/DEL/EXISTS.
struct Model {
  std::map<std::string, std::string> data;
  std::string run(const std::vector<std::string>& args) {
    std::string out;
    const std::string& cmd = args[0];
    if (cmd == "MGET") {
      out = "*" + std::to_string(args.size() - 1) + "\r\n";
      for (std::size_t i = 1; i < args.size(); ++i) {
        auto it = data.find(args[i]);
        out += it == data.end()
                   ? std::string("$-1\r\n")
                   : "$" + std::to_string(it->second.size()) + "\r\n" + it->second + "\r\n";
      }
      return out;
    }
    if (cmd == "MSET") {
      for (std::size_t i = 1; i + 1 < args.size(); i += 2) data[args[i]] = args[i + 1];
      return "+OK\r\n";
    }
    long n = 0;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (cmd == "EXISTS") n += data.count(args[i]);
      if (cmd == "DEL") n += data.erase(args[i]);
    }
    return ":" + std::to_string(n) + "\r\n";
  }
};

std::vector<std::string> parse_args(std::string_view bytes) {
  resp::RequestParser parser;
  EXPECT_EQ(parser.parse(bytes), resp::ParseStatus::kComplete);
  std::vector<std::string> args;
  for (std::string_view arg : parser.request().args()) args.emplace_back(arg);
  return args;
}

TEST(SlotSplitProperty, MergeOfSplitEqualsOneRedis) {
  std::mt19937 rng(16);
  const struct {
    std::string cmd;
    MergeKind kind;
    std::size_t step;
  } commands[] = {{"MGET", MergeKind::kKeyOrderArray, 1},
                  {"MSET", MergeKind::kAllOk, 2},
                  {"DEL", MergeKind::kSum, 1},
                  {"EXISTS", MergeKind::kSum, 1}};
  for (int round = 0; round < 2000; ++round) {
    Model whole;
    for (int i = 0; i < 20; ++i) whole.data["k" + std::to_string(rng() % 30)] = std::to_string(i);
    Model parts = whole;
    const auto& c = commands[rng() % 4];
    std::vector<std::string> args{c.cmd};
    const std::size_t keys = 1 + rng() % 12;
    for (std::size_t i = 0; i < keys; ++i) {
      // Tags make some keys share slots; duplicates are allowed, as Redis allows them.
      args.push_back(rng() % 4 == 0 ? "{t" + std::to_string(rng() % 3) + "}" + std::to_string(i)
                                    : "k" + std::to_string(rng() % 30));
      if (c.step == 2) args.push_back("v" + std::to_string(round));
    }
    ParsedRequest request(args);
    SlotSplit split;
    const std::string single = whole.run(args);
    if (!split_by_slot(request.get(), c.step, split)) {
      for (std::size_t i = 1 + c.step; i < args.size(); i += c.step) {
        EXPECT_EQ(key_slot(args[i]), key_slot(args[1]));  // no split only for one slot
      }
      continue;
    }
    std::vector<std::uint32_t> counts;
    for (const SlotPart& part : split.parts) counts.push_back(part.keys);
    ReplyMerge merge(c.kind, split.key_part, counts);
    std::vector<std::size_t> order(split.parts.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);  // parts answer in any order
    for (std::size_t p : order) {
      const std::vector<std::string> part_args = parse_args(split.part_bytes(p));
      for (std::size_t i = 1; i < part_args.size(); i += c.step) {
        EXPECT_EQ(key_slot(part_args[i]), split.parts[p].slot);
      }
      merge.add(p, parts.run(part_args));
    }
    ASSERT_TRUE(merge.complete());
    std::string merged;
    merge.finish(merged);
    EXPECT_EQ(merged, single) << request.get().raw();
    EXPECT_EQ(parts.data, whole.data);
  }
}

}  // namespace
}  // namespace funnel::routing

namespace funnel::routing {
namespace {

TEST(ReplyMerge, KeysConcatenatesEveryShardsArray) {
  ReplyMerge merge(MergeKind::kConcatArrays, {}, {0, 0, 0});
  merge.add(2, "*1\r\n$1\r\nc\r\n");
  merge.add(0, "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_TRUE(merge.add(1, "*0\r\n"));
  std::string out;
  merge.finish(out);
  EXPECT_EQ(out, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  ReplyMerge dbsize(MergeKind::kSum, {}, {0, 0});
  dbsize.add(0, ":5\r\n");
  dbsize.add(1, ":7\r\n");
  out.clear();
  dbsize.finish(out);
  EXPECT_EQ(out, ":12\r\n");
}

}  // namespace
}  // namespace funnel::routing
