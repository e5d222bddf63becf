// RequestParser, table-driven: each case is parsed whole, split at every offset and one byte at a
// time, with identical outcomes. Expected texts and boundaries were checked against redis-server
// 7.0 (printf ... | nc); "Redis:" notes record what it did.
#include <gtest/gtest.h>

#include <random>

#include "feed.hpp"

namespace funnel::resp::testing {
namespace {

using namespace std::string_literals;

// Long enough for every inline case below, short enough to test the "too big" errors cheaply.
ParseLimits table_limits() {
  ParseLimits limits;
  limits.max_inline_bytes = 64;
  return limits;
}

struct Case {
  std::string name;
  std::string input;
  ParseStatus status;
  std::vector<std::string> args = {};
  std::size_t consumed = 0;
  std::string error = {};
  bool is_inline = false;
};

std::string multibulk(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

RequestOutcome expected(const Case& c) {
  RequestOutcome o;
  o.status = c.status;
  if (c.status == ParseStatus::kComplete) {
    o.consumed = c.consumed;
    o.args = c.args;
    o.is_inline = c.is_inline;
    if (!c.args.empty()) o.raw = c.is_inline ? multibulk(c.args) : c.input.substr(0, c.consumed);
  } else if (c.status == ParseStatus::kInvalid) {
    o.error = c.error;
  }
  return o;
}

constexpr auto kOk = ParseStatus::kComplete;
constexpr auto kBad = ParseStatus::kInvalid;
constexpr auto kMore = ParseStatus::kNeedMore;

const std::vector<Case> kMultibulkCases = {
    {"Get", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", kOk, {"GET", "key"}, 22},
    {"BinaryPayload",
     "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\nb\0c\r\n"s,
     kOk,
     {"SET", "k", "a\r\nb\0c"s},
     32},
    {"EmptyBulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", kOk, {"ECHO", ""}, 20},
    // Redis: *0 and *-N are ignored, no reply.
    {"ZeroCount", "*0\r\n", kOk, {}, 4},
    {"NullCount", "*-1\r\n", kOk, {}, 5},
    {"NegativeCount", "*-5\r\nPING\r\n", kOk, {}, 5},
    {"PipelinedTail", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r", kOk, {"PING"}, 14},
    // Redis skips the two bytes after a payload without checking them ("PINGab" -> PONG).
    {"StrayBytesAfterPayload", "*1\r\n$4\r\nPINGab*1\r\n", kOk, {"PING"}, 14},
    // Redis needs one byte after a header's '\r' and skips it unseen.
    {"CountCrThenAnyByte", "*1\rx$4\r\nPING\r\n", kOk, {"PING"}, 14},
    {"BulkCrThenAnyByte", "*1\r\n$4\rxPING\r\n", kOk, {"PING"}, 14},
    {"Incomplete", "*2\r\n$3\r\nGET\r\n$3\r\nke", kMore},
    {"HeaderWithoutLf", "*2\r", kMore},
    // Redis reads headers with strchr: a NUL hides the '\r' and it waits (until its limit).
    {"NulInCountHeader", "*1\0\r\n$4\r\nPING\r\n"s, kMore},
    {"NulInBulkHeader", "*1\r\n\0\r\n"s, kMore},
    {"CountNotNumber", "*abc\r\n", kBad, {}, 0, "invalid multibulk length"},
    {"CountEmpty", "*\r\n", kBad, {}, 0, "invalid multibulk length"},
    {"CountMinusZero", "*-0\r\n", kBad, {}, 0, "invalid multibulk length"},
    {"CountLeadingZero", "*01\r\n", kBad, {}, 0, "invalid multibulk length"},
    {"CountPlusSign", "*+1\r\n", kBad, {}, 0, "invalid multibulk length"},
    {"CountSpace", "* 1\r\n", kBad, {}, 0, "invalid multibulk length"},
    {"CountAboveIntMax", "*3000000000\r\n", kBad, {}, 0, "invalid multibulk length"},
    // Redis 7 refuses only counts above INT_MAX (Redis 6 and Funnel before: above 1048576).
    {"CountAboveIntMaxByOne", "*2147483648\r\n", kBad, {}, 0, "invalid multibulk length"},
    {"CountAboveOldLimit", "*1048577\r\n", kMore},
    {"ExpectedDollar", "*1\r\nfoo\r\n", kBad, {}, 0, "expected '$', got 'f'"},
    {"ExpectedDollarGotCr", "*1\r\n\r\n", kBad, {}, 0, "expected '$', got '\r'"},
    {"ExpectedDollarSecondArg", "*2\r\n$1\r\na\r\n:1\r\n", kBad, {}, 0, "expected '$', got ':'"},
    {"BulkNegative", "*1\r\n$-1\r\n", kBad, {}, 0, "invalid bulk length"},
    {"BulkEmptyLength", "*1\r\n$\r\n", kBad, {}, 0, "invalid bulk length"},
    {"BulkLeadingZero", "*1\r\n$04\r\nPING\r\n", kBad, {}, 0, "invalid bulk length"},
    {"BulkPlusSign", "*1\r\n$+4\r\nPING\r\n", kBad, {}, 0, "invalid bulk length"},
    {"BulkNotNumber", "*1\r\n$abc\r\n", kBad, {}, 0, "invalid bulk length"},
    {"BulkAboveMaxBulk", "*1\r\n$536870913\r\n", kBad, {}, 0, "invalid bulk length"},
    {"CountTooBig", "*" + std::string(64, '1'), kBad, {}, 0, "too big mbulk count string"},
    {"CountJustFits", "*" + std::string(63, '1'), kMore},
    {"BulkCountTooBig", "*1\r\n$" + std::string(64, '1'), kBad, {}, 0, "too big bulk count string"},
    {"BulkCountJustFits", "*1\r\n$" + std::string(63, '1'), kMore},
};

const std::vector<Case> kInlineCases = {
    {"Ping", "PING\r\n", kOk, {"PING"}, 6, {}, true},
    {"PingLfOnly", "PING\n", kOk, {"PING"}, 5, {}, true},
    {"SetThenGet", "SET a b\r\nGET a\r\n", kOk, {"SET", "a", "b"}, 9, {}, true},
    {"EmptyLine", "\r\n", kOk, {}, 2, {}, true},
    {"EmptyLfLine", "\nPING\n", kOk, {}, 1, {}, true},
    {"BlankLine", "   \t \r\n", kOk, {}, 7, {}, true},
    {"ExtraBlanks", "  GET   key  \r\n", kOk, {"GET", "key"}, 15, {}, true},
    // Redis: "ECHO a\rb" is three arguments (only the '\r' before '\n' ends the line).
    {"CrInsideLine", "ECHO a\rb\r\n", kOk, {"ECHO", "a", "b"}, 10, {}, true},
    // Redis: \v is skipped between arguments but kept inside one.
    {"VerticalTab", "ECHO \vab\vc\r\n", kOk, {"ECHO", "ab\vc"}, 12, {}, true},
    {"DoubleQuoteEscapes",
     "ECHO \"a\\x41\\x4g\\n\\q\"\r\n",
     kOk,
     {"ECHO", "aAx4g\nq"},
     22,
     {},
     true},
    {"SingleQuoteEscape", "ECHO 'a\\'b\\'c'\r\n", kOk, {"ECHO", "a'b'c"}, 16, {}, true},
    {"QuoteMidToken", "ECHO ab\"c d\"\r\n", kOk, {"ECHO", "abc d"}, 14, {}, true},
    {"EmptyQuoted", "ECHO \"\"\r\n", kOk, {"ECHO", ""}, 9, {}, true},
    {"QuoteThenVerticalTab", "ECHO \"x\"\vPING\r\n", kOk, {"ECHO", "x", "PING"}, 15, {}, true},
    {"StarNotFirstByte", " *1\r\n", kOk, {"*1"}, 5, {}, true},
    {"QuoteFollowedByText", "ECHO \"abc\"def\r\n", kBad, {}, 0, "unbalanced quotes in request"},
    {"SingleFollowedByText", "ECHO 'abc'def\r\n", kBad, {}, 0, "unbalanced quotes in request"},
    {"QuoteMidTokenThenText", "ECHO ab\"c d\"e\r\n", kBad, {}, 0, "unbalanced quotes in request"},
    {"Unterminated", "ECHO \"abc\r\n", kBad, {}, 0, "unbalanced quotes in request"},
    {"EscapedClosingQuote", "ECHO \"a\\\"\r\n", kBad, {}, 0, "unbalanced quotes in request"},
    // Redis finds the end of an inline line with strchr: a NUL hides the '\n'.
    {"NulInLine", "ECHO a\0b\r\n"s, kMore},
    {"NoNewlineYet", "GET key", kMore},
    {"TooBigInline", "GET " + std::string(61, 'k'), kBad, {}, 0, "too big inline request"},
    {"InlineJustFits", "GET " + std::string(60, 'k'), kMore},
};

// gtest prints a case by its name instead of its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class RequestParserCase : public ::testing::TestWithParam<Case> {};

TEST_P(RequestParserCase, Whole) {
  EXPECT_EQ(parse_whole(GetParam().input, table_limits()), expected(GetParam()));
}

TEST_P(RequestParserCase, EverySplit) {
  const Case& c = GetParam();
  for (std::size_t at = 1; at < c.input.size(); ++at) {
    ASSERT_EQ(parse_split(c.input, at, table_limits()), expected(c)) << "split at " << at;
  }
}

TEST_P(RequestParserCase, ByteAtATime) {
  EXPECT_EQ(parse_bytewise(GetParam().input, table_limits()), expected(GetParam()));
}

// As a worker's shared parser is used: between pieces the partial request is suspended, the
// parser serves another client, and the request is resumed from its ParsePosition.
TEST_P(RequestParserCase, ByteAtATimeSuspendedBetweenPieces) {
  EXPECT_EQ(parse_bytewise_suspended(GetParam().input, table_limits()), expected(GetParam()));
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Multibulk, RequestParserCase, ::testing::ValuesIn(kMultibulkCases),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Inline, RequestParserCase, ::testing::ValuesIn(kInlineCases), case_name);

TEST(RequestParser, InlineIsReencodedAsMultibulk) {
  RequestParser parser;
  std::string buf = "set 'a b' \"c\\r\\n\"\r\n";
  ASSERT_EQ(parser.parse(buf), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().raw(), "*3\r\n$3\r\nset\r\n$3\r\na b\r\n$3\r\nc\r\n\r\n");
  EXPECT_TRUE(parser.request().is_inline());
  EXPECT_FALSE(parser.request().is_empty());
}

TEST(RequestParser, MultibulkArgsPointIntoTheCallersBuffer) {
  RequestParser parser;
  std::string buf = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  ASSERT_EQ(parser.parse(buf), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().arg(0).data(), buf.data() + 8);
  EXPECT_EQ(parser.request().arg(1).data(), buf.data() + 17);
  EXPECT_EQ(parser.request().raw().data(), buf.data());
  EXPECT_FALSE(parser.request().is_inline());
}

TEST(RequestParser, EmptyRequestsHaveNoRawBytes) {
  RequestParser parser;
  std::string buf = "*0\r\n";
  ASSERT_EQ(parser.parse(buf), ParseStatus::kComplete);
  EXPECT_TRUE(parser.request().is_empty());
  EXPECT_TRUE(parser.request().raw().empty());
}

struct Expected {
  std::vector<std::string> args;
  std::size_t consumed;
};

const std::string kPipeline =
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"  // 31 bytes
    "GET k\r\n"                                      // 7
    "\r\n"                                           // 2, empty: no reply
    "*0\r\n"                                         // 4, empty
    "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";                // 20
const std::vector<Expected> kPipelineExpected = {
    {{"SET", "k", "value"}, 31}, {{"GET", "k"}, 7}, {{}, 2}, {{}, 4}, {{"GET", "k"}, 20}};

TEST(RequestParser, PipelinedRequestsInOneBuffer) {
  RequestParser parser;
  std::string_view rest = kPipeline;
  for (const Expected& e : kPipelineExpected) {
    ASSERT_EQ(parser.parse(rest), ParseStatus::kComplete);
    EXPECT_EQ(parser.consumed(), e.consumed);
    std::vector<std::string> args(parser.request().args().begin(), parser.request().args().end());
    EXPECT_EQ(args, e.args);
    rest.remove_prefix(parser.consumed());
  }
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(parser.parse(rest), ParseStatus::kNeedMore);
}

// Like a client session: bytes arrive in random pieces into a buffer that is compacted after each
// request, so the parser must resume from offsets in a buffer that moves.
TEST(RequestParser, PipelineInRandomPiecesWithCompaction) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    RequestParser parser;
    std::string buffer;
    std::size_t fed = 0;
    std::size_t next = 0;
    while (next < kPipelineExpected.size()) {
      ASSERT_LT(fed, kPipeline.size()) << "stalled with every byte fed";
      std::size_t piece = std::uniform_int_distribution<std::size_t>(1, 9)(rng);
      buffer.append(kPipeline.substr(fed, piece));
      fed += std::min(piece, kPipeline.size() - fed);
      std::string moved(buffer);  // new storage: the old bytes are freed (ASan watches them)
      buffer.swap(moved);
      while (next < kPipelineExpected.size() && parser.parse(buffer) == ParseStatus::kComplete) {
        EXPECT_EQ(parser.consumed(), kPipelineExpected[next].consumed);
        EXPECT_EQ(parser.request().argc(), kPipelineExpected[next].args.size());
        buffer.erase(0, parser.consumed());
        ++next;
      }
    }
    EXPECT_TRUE(buffer.empty());
  }
}

TEST(RequestParser, StaysInvalidUntilReset) {
  RequestParser parser;
  std::string bad = "*x\r\n";
  std::string good = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(parser.parse(bad), ParseStatus::kInvalid);
  EXPECT_EQ(parser.parse(good), ParseStatus::kInvalid);
  EXPECT_EQ(parser.error(), "invalid multibulk length");
  parser.reset();
  ASSERT_EQ(parser.parse(good), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().arg(0), "PING");
}

TEST(RequestParser, ResetDropsAPartialRequest) {
  RequestParser parser;
  std::string partial = "*2\r\n$3\r\nGET\r\n$3\r\nk";
  ASSERT_EQ(parser.parse(partial), ParseStatus::kNeedMore);
  parser.reset();
  std::string fresh = "PING\r\n";
  ASSERT_EQ(parser.parse(fresh), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().arg(0), "PING");
}

// 100 MB in 64 KB pieces: a parser that rescanned the payload on every call would do ~80 GB of
// work here and time out; resuming from its saved position it is a few milliseconds.
TEST(RequestParser, HugeBulkInSmallPiecesIsLinear) {
  constexpr std::size_t kPayload = 100u * 1024 * 1024;
  ParseLimits limits;
  limits.max_request_bytes = 128u * 1024 * 1024;
  RequestParser parser(limits);
  std::string buf = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kPayload) + "\r\n";
  const std::size_t total = buf.size() + kPayload + 2;
  buf.reserve(total);
  ParseStatus status = parser.parse(buf);
  ASSERT_EQ(status, ParseStatus::kNeedMore);
  while (buf.size() < total) {
    buf.append(std::min<std::size_t>(64 * 1024, total - buf.size()), '\r');
    if (buf.size() == total) buf.replace(total - 2, 2, "\r\n");
    status = parser.parse(buf);
    if (buf.size() < total) {
      ASSERT_EQ(status, ParseStatus::kNeedMore);
    }
  }
  ASSERT_EQ(status, ParseStatus::kComplete);
  EXPECT_EQ(parser.consumed(), total);
  EXPECT_EQ(parser.request().arg(2).size(), kPayload);
}

}  // namespace
}  // namespace funnel::resp::testing
