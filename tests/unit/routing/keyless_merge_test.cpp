// Keyless fan-out merges in cluster mode (routing/keyless_merge.hpp through ReplyMerge): each row
// is the replies of the nodes (part index, bytes, in arrival order) and the client's reply.
#include "routing/keyless_merge.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "routing/reply_merge.hpp"

namespace funnel::routing {
namespace {

struct Row {
  const char* name;
  MergeKind kind;
  std::vector<std::pair<std::size_t, std::string>> replies;
  std::string expected;
  std::uint32_t pick = 0;
};

std::string run(const Row& row) {
  ReplyMerge merge(row.kind, {}, std::vector<std::uint32_t>(row.replies.size(), 0));
  merge.set_pick(row.pick);
  merge.set_scan({1, 9, 0}, 3);
  for (std::size_t i = 0; i < row.replies.size(); ++i) {
    EXPECT_EQ(merge.add(row.replies[i].first, row.replies[i].second), i + 1 == row.replies.size())
        << row.name;
  }
  std::string out;
  merge.finish(out);
  return out;
}

TEST(KeylessMerge, Table) {
  const std::string sha = "$40\r\n2fa2b029f72572e803ff55a09b1282699aecae6a\r\n";
  const std::string scan_next = std::to_string(encode_scan_cursor({1, 9, 17}));
  const std::string scan_end = std::to_string(encode_scan_cursor({2, 9, 0}));
  const std::vector<Row> rows = {
      {"DBSIZE sums", MergeKind::kSum, {{1, ":3\r\n"}, {0, ":0\r\n"}, {2, ":7\r\n"}}, ":10\r\n"},
      {"KEYS concatenates",
       MergeKind::kConcatArrays,
       {{2, "*1\r\n$1\r\nc\r\n"}, {0, "*0\r\n"}, {1, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"}},
       "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
      {"SCRIPT LOAD agrees", MergeKind::kAgree, {{1, sha}, {0, sha}, {2, sha}}, sha},
      {"FUNCTION DELETE: the first error (lowest node) wins",
       MergeKind::kAgree,
       {{2, "-ERR Library not found\r\n"}, {0, "+OK\r\n"}, {1, "-ERR other\r\n"}},
       "-ERR other\r\n"},
      {"nodes that disagree without an error",
       MergeKind::kAgree,
       {{0, "$3\r\nlib\r\n"}, {1, "$4\r\nlib2\r\n"}},
       std::string(kNodesDisagree)},
      {"FLUSHALL: +OK from every primary",
       MergeKind::kAllOk,
       {{0, "+OK\r\n"}, {1, "+OK\r\n"}},
       "+OK\r\n"},
      {"FLUSHALL: an error wins",
       MergeKind::kAllOk,
       {{0, "+OK\r\n"}, {1, "-READONLY You can't write against a read only replica.\r\n"}},
       "-READONLY You can't write against a read only replica.\r\n"},
      {"SCRIPT EXISTS: 1 only where every node has it",
       MergeKind::kAndArrays,
       {{0, "*3\r\n:1\r\n:1\r\n:0\r\n"}, {1, "*3\r\n:1\r\n:0\r\n:0\r\n"}},
       "*3\r\n:1\r\n:0\r\n:0\r\n"},
      {"SCRIPT EXISTS of another length",
       MergeKind::kAndArrays,
       {{0, "*1\r\n:1\r\n"}, {1, "*2\r\n:1\r\n:1\r\n"}},
       std::string(kUnexpectedPart)},
      {"RANDOMKEY skips empty shards (RESP2 null)",
       MergeKind::kRandomPick,
       {{0, "$-1\r\n"}, {1, "$1\r\nk\r\n"}, {2, "$-1\r\n"}},
       "$1\r\nk\r\n",
       5},
      {"RANDOMKEY: pick chooses among the non-null",
       MergeKind::kRandomPick,
       {{0, "$1\r\na\r\n"}, {1, "_\r\n"}, {2, "$1\r\nc\r\n"}},
       "$1\r\nc\r\n",
       3},
      {"RANDOMKEY: null only if every shard is empty (RESP3)",
       MergeKind::kRandomPick,
       {{0, "_\r\n"}, {1, "_\r\n"}},
       "_\r\n"},
      {"SCAN: the node's cursor in the client's",
       MergeKind::kScan,
       {{0, "*2\r\n$2\r\n17\r\n*1\r\n$1\r\nk\r\n"}},
       "*2\r\n$" + std::to_string(scan_next.size()) + "\r\n" + scan_next + "\r\n*1\r\n$1\r\nk\r\n"},
      {"SCAN: the shard done, the next one from 0",
       MergeKind::kScan,
       {{0, "*2\r\n$1\r\n0\r\n*0\r\n"}},
       "*2\r\n$" + std::to_string(scan_end.size()) + "\r\n" + scan_end + "\r\n*0\r\n"},
      {"SCAN: an error passes",
       MergeKind::kScan,
       {{0, "-ERR syntax error\r\n"}},
       "-ERR syntax error\r\n"},
      {"SCAN: another shape", MergeKind::kScan, {{0, ":1\r\n"}}, std::string(kUnexpectedPart)},
  };
  for (const Row& row : rows) EXPECT_EQ(run(row), row.expected) << row.name;
}

}  // namespace
}  // namespace funnel::routing
