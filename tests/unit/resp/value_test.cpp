// parse_value: the full tree for every RESP2/RESP3 type, attributes, verbatim formats, map and
// flat-array lookups; and agreement with ReplyFramer on where a reply ends.
#include <gtest/gtest.h>

#include <limits>

#include "resp/reply_framer.hpp"
#include "resp/value.hpp"

namespace funnel::resp {
namespace {

Value parse_ok(const std::string& input, std::size_t expected_consumed = 0) {
  Value v;
  std::size_t consumed = 0;
  EXPECT_EQ(parse_value(input, v, consumed), ValueStatus::kComplete) << input;
  EXPECT_EQ(consumed, expected_consumed == 0 ? input.size() : expected_consumed) << input;
  return v;
}

TEST(ParseValue, Scalars) {
  Value v = parse_ok("+OK\r\n");
  EXPECT_EQ(v.type, ValueType::kSimpleString);
  EXPECT_EQ(v.str, "OK");
  v = parse_ok("-ERR unknown command\r\n");
  EXPECT_TRUE(v.is_error());
  EXPECT_EQ(v.str, "ERR unknown command");
  v = parse_ok(":-42\r\n");
  EXPECT_EQ(v.type, ValueType::kInteger);
  EXPECT_EQ(v.integer, -42);
  v = parse_ok("$5\r\nhe\r\no\r\n");
  EXPECT_EQ(v.type, ValueType::kBulk);
  EXPECT_EQ(v.str, "he\r\no");
  v = parse_ok(",1.1000000000000001\r\n");
  EXPECT_EQ(v.type, ValueType::kDouble);
  EXPECT_DOUBLE_EQ(v.number, 1.1);
  EXPECT_EQ(v.str, "1.1000000000000001");
  v = parse_ok(",-inf\r\n");
  EXPECT_EQ(v.number, -std::numeric_limits<double>::infinity());
  v = parse_ok("#t\r\n");
  EXPECT_EQ(v.type, ValueType::kBoolean);
  EXPECT_EQ(v.integer, 1);
  EXPECT_EQ(parse_ok("#f\r\n").integer, 0);
  v = parse_ok("(-1234567999999999999999999999999999999\r\n");
  EXPECT_EQ(v.type, ValueType::kBigNumber);
  EXPECT_EQ(v.str, "-1234567999999999999999999999999999999");
}

TEST(ParseValue, AllNullSpellingsAreNull) {
  for (const char* input : {"_\r\n", "$-1\r\n", "*-1\r\n"}) {
    EXPECT_TRUE(parse_ok(input).is_null()) << input;
  }
}

TEST(ParseValue, VerbatimKeepsItsFormatApart) {
  Value v = parse_ok("=29\r\ntxt:This is a verbatim\nstring\r\n");
  EXPECT_EQ(v.type, ValueType::kVerbatim);
  EXPECT_EQ(v.format, "txt");
  EXPECT_EQ(v.str, "This is a verbatim\nstring");
  EXPECT_EQ(parse_ok("=6\r\nmkd:# \r\n").format, "mkd");
}

TEST(ParseValue, BlobErrorIsAnError) {
  Value v = parse_ok("!21\r\nSYNTAX invalid syntax\r\n");
  EXPECT_TRUE(v.is_error());
  EXPECT_EQ(v.str, "SYNTAX invalid syntax");
}

TEST(ParseValue, StreamedStringIsJoined) {
  Value v = parse_ok("$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;2\r\nld\r\n;0\r\n");
  EXPECT_EQ(v.type, ValueType::kBulk);
  EXPECT_EQ(v.str, "Hello world");
}

TEST(ParseValue, Aggregates) {
  Value v = parse_ok("*3\r\n:1\r\n*2\r\n+a\r\n$-1\r\n*0\r\n");
  ASSERT_EQ(v.type, ValueType::kArray);
  ASSERT_EQ(v.elems.size(), 3u);
  EXPECT_EQ(v.elems[0].integer, 1);
  ASSERT_EQ(v.elems[1].elems.size(), 2u);
  EXPECT_EQ(v.elems[1].elems[0].str, "a");
  EXPECT_TRUE(v.elems[1].elems[1].is_null());
  EXPECT_TRUE(v.elems[2].elems.empty());
  EXPECT_TRUE(v.is_aggregate());

  v = parse_ok("~2\r\n+a\r\n+b\r\n");
  EXPECT_EQ(v.type, ValueType::kSet);
  EXPECT_EQ(v.elems.size(), 2u);
  v = parse_ok(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  EXPECT_EQ(v.type, ValueType::kPush);
  EXPECT_EQ(v.elems[2].str, "hi");
  v = parse_ok("*?\r\n:1\r\n:2\r\n.\r\n");
  EXPECT_EQ(v.type, ValueType::kArray);
  EXPECT_EQ(v.elems.size(), 2u);
}

TEST(ParseValue, MapsAreFlatKeyValueElements) {
  Value v = parse_ok("%2\r\n+a\r\n:1\r\n$1\r\nb\r\n:2\r\n");
  ASSERT_EQ(v.type, ValueType::kMap);
  ASSERT_EQ(v.elems.size(), 4u);
  ASSERT_NE(v.find("b"), nullptr);
  EXPECT_EQ(v.find("b")->integer, 2);
  EXPECT_EQ(v.find("a")->integer, 1);
  EXPECT_EQ(v.find("c"), nullptr);
  EXPECT_EQ(v.find("1"), nullptr);  // values are not keys
  v = parse_ok("%?\r\n+k\r\n+v\r\n.\r\n");
  EXPECT_EQ(v.find("k")->str, "v");
}

TEST(ParseValue, FindWorksOnResp2FlatArrays) {
  // HELLO 2 / CONFIG GET style: key, value, key, value.
  Value v = parse_ok("*5\r\n$5\r\nproto\r\n:2\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$3\r\nodd\r\n");
  EXPECT_EQ(v.find("proto")->integer, 2);
  EXPECT_EQ(v.find("mode")->str, "standalone");
  EXPECT_EQ(v.find("odd"), nullptr);  // a trailing key without a value
  EXPECT_EQ(v.find("2"), nullptr);
  EXPECT_EQ(parse_ok("~2\r\n+a\r\n+b\r\n").find("a"), nullptr);  // sets have no values
  EXPECT_EQ(parse_ok("+a\r\n").find("a"), nullptr);
}

TEST(ParseValue, AttributesAttachToTheFollowingValue) {
  Value v = parse_ok(
      "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
      "$39\r\nSome real reply following the attribute\r\n");
  EXPECT_EQ(v.type, ValueType::kBulk);
  EXPECT_EQ(v.str, "Some real reply following the attribute");
  ASSERT_EQ(v.attributes.size(), 2u);
  EXPECT_EQ(v.attributes[0].str, "key-popularity");
  EXPECT_EQ(v.attributes[1].elems[1].integer, 90);

  v = parse_ok("*2\r\n|1\r\n+k\r\n+v\r\n:1\r\n:2\r\n");
  ASSERT_EQ(v.elems.size(), 2u);
  ASSERT_EQ(v.elems[0].attributes.size(), 2u);
  EXPECT_EQ(v.elems[0].attributes[1].str, "v");
  EXPECT_EQ(v.elems[0].integer, 1);
  EXPECT_TRUE(v.elems[1].attributes.empty());

  v = parse_ok("|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n:7\r\n");
  ASSERT_EQ(v.attributes.size(), 4u);
  EXPECT_EQ(v.attributes[0].str, "a");
  EXPECT_EQ(v.attributes[2].str, "c");
}

TEST(ParseValue, AsString) {
  EXPECT_EQ(parse_ok("+s\r\n").as_string(), "s");
  EXPECT_EQ(parse_ok("-E x\r\n").as_string(), "E x");
  EXPECT_EQ(parse_ok("$1\r\nb\r\n").as_string(), "b");
  EXPECT_EQ(parse_ok("=5\r\ntxt:v\r\n").as_string(), "v");
  EXPECT_EQ(parse_ok("(12\r\n").as_string(), "12");
  EXPECT_EQ(parse_ok(":1\r\n").as_string(), std::nullopt);
  EXPECT_EQ(parse_ok(",1.5\r\n").as_string(), std::nullopt);
  EXPECT_EQ(parse_ok("_\r\n").as_string(), std::nullopt);
  EXPECT_EQ(parse_ok("*0\r\n").as_string(), std::nullopt);
}

TEST(ParseValue, ConsumesOnlyTheFirstReply) {
  Value v = parse_ok("+OK\r\n:1\r\n", 5);
  EXPECT_EQ(v.str, "OK");
}

TEST(ParseValue, OverwritesThePreviousValue) {
  Value v;
  std::size_t consumed = 0;
  ASSERT_EQ(parse_value("*1\r\n+a\r\n", v, consumed), ValueStatus::kComplete);
  ASSERT_EQ(parse_value(":5\r\n", v, consumed), ValueStatus::kComplete);
  EXPECT_EQ(v.type, ValueType::kInteger);
  EXPECT_TRUE(v.elems.empty());
  EXPECT_EQ(consumed, 4u);
}

TEST(ParseValue, NeedMoreOnEveryStrictPrefix) {
  const std::string reply = "%2\r\n+a\r\n*2\r\n:1\r\n$3\r\nxyz\r\n+b\r\n$?\r\n;1\r\nq\r\n;0\r\n";
  for (std::size_t n = 0; n < reply.size(); ++n) {
    Value v;
    std::size_t consumed = 0;
    EXPECT_EQ(parse_value(reply.substr(0, n), v, consumed), ValueStatus::kNeedMore) << n;
  }
  parse_ok(reply);
}

TEST(ParseValue, InvalidInput) {
  for (const char* input : {"?x\r\n", ":x\r\n", "$2\r\nabc\r\n", ".\r\n", "=3\r\nabc\r\n"}) {
    Value v;
    std::size_t consumed = 0;
    EXPECT_EQ(parse_value(input, v, consumed), ValueStatus::kInvalid) << input;
  }
}

// parse_value builds its tree by recursion: a reply nested deeper than kMaxValueDepth (Redis's
// own "Script return recursive object" is ~8,000 deep) is refused, never a stack overflow.
TEST(ParseValue, NestingBeyondItsDepthIsInvalid) {
  for (const std::size_t levels : {kMaxValueDepth + 1, std::size_t{8000}, std::size_t{200000}}) {
    std::string deep;
    for (std::size_t i = 0; i < levels; ++i) deep += "*1\r\n";
    deep += ":1\r\n";
    Value v;
    std::size_t consumed = 0;
    EXPECT_EQ(parse_value(deep, v, consumed), ValueStatus::kInvalid) << levels;
    if (levels == kMaxValueDepth + 1) parse_ok(deep.substr(4));  // kMaxValueDepth is the limit
  }
}

}  // namespace
}  // namespace funnel::resp
