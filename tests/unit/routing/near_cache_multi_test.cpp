// The near cache's exactness helpers as tables (routing/near_cache_multi.hpp): which PTTL replies
// let a fill be stored, and MGET replies split into their elements (and refused when they are
// anything but an array of exactly the keys' bulk strings and nulls).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "routing/near_cache_multi.hpp"

namespace funnel::routing {
namespace {

TEST(NearCacheProbe, OnlyAKeyWithoutATtlMayBeStored) {
  struct Row {
    const char* reply;
    bool stored;
  };
  const std::vector<Row> rows = {
      {":-1\r\n", true},                    // no TTL
      {":-2\r\n", true},                    // no key (a nil reply; creating it is a write)
      {":200\r\n", false},                  // a TTL: Redis may drop it before saying so
      {":0\r\n", false},                    // expiring now
      {"-ERR funnel: timeout\r\n", false},  // Funnel's own error: unknown
      {"-LOADING\r\n", false},
      {":-10\r\n", false},
      {"", false},
  };
  for (const Row& row : rows) EXPECT_EQ(probe_allows_caching(row.reply), row.stored) << row.reply;
}

TEST(NearCacheProbe, EncodesPttlOfTheKey) {
  std::string out = "old";
  encode_probe("nc:k", out);
  EXPECT_EQ(out, "*2\r\n$4\r\nPTTL\r\n$4\r\nnc:k\r\n");
  encode_probe("", out);
  EXPECT_EQ(out, "*2\r\n$4\r\nPTTL\r\n$0\r\n\r\n");
}

TEST(NearCacheElements, SplitsAnMgetReplyIntoItsKeysElements) {
  struct Row {
    std::string reply;
    std::size_t n;
    bool ok;
    std::vector<std::string> elements;
  };
  const std::vector<Row> rows = {
      {"*2\r\n$1\r\na\r\n$-1\r\n", 2, true, {"$1\r\na\r\n", "$-1\r\n"}},
      {"*3\r\n$0\r\n\r\n_\r\n$4\r\nx\r\ny\r\n",
       3,
       true,
       {"$0\r\n\r\n", "_\r\n", "$4\r\nx\r\ny\r\n"}},
      {"*2\r\n$1\r\na\r\n", 2, false, {}},              // fewer elements than keys
      {"*1\r\n$1\r\na\r\n", 2, false, {}},              // another count
      {"*2\r\n$1\r\na\r\n$1\r\nb\r\nX", 2, false, {}},  // trailing bytes
      {"*2\r\n$1\r\na\r\n:1\r\n", 2, false, {}},        // not a bulk string
      {"*2\r\n$5\r\na\r\n$1\r\nb\r\n", 2, false, {}},   // length past the end
      {"*2\r\n$1\r\nab\r\n$1\r\nb\r\n", 2, false, {}},  // length without its CRLF
      {"*-1\r\n", 0, false, {}},
      {"-ERR x\r\n", 1, false, {}},
      {"*2\r\n$x\r\na\r\n$1\r\nb\r\n", 2, false, {}},
      {"*2\r\n$-2\r\n$1\r\nb\r\n", 2, false, {}},
  };
  std::vector<std::string_view> out;
  for (const Row& row : rows) {
    EXPECT_EQ(split_elements(row.reply, row.n, out), row.ok) << row.reply;
    if (!row.ok) continue;
    ASSERT_EQ(out.size(), row.elements.size()) << row.reply;
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], row.elements[i]) << row.reply;
  }
}

TEST(NearCacheElements, AComposedReplyIsTheHeaderAndTheElements) {
  std::string out;
  append_array_header(out, 2);
  out.append("$1\r\na\r\n");
  out.append("_\r\n");
  std::vector<std::string_view> elements;
  ASSERT_TRUE(split_elements(out, 2, elements));
  EXPECT_EQ(out, "*2\r\n$1\r\na\r\n_\r\n");
}

}  // namespace
}  // namespace funnel::routing
