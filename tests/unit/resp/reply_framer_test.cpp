// ReplyFramer, table-driven over every RESP2/RESP3 type: each case is framed whole, split at every
// offset and one byte at a time, with identical outcomes. Several inputs are redis-server 7.0's
// own bytes (HELLO 3, DEBUG PROTOCOL attrib/verbatim/bignum).
#include <gtest/gtest.h>

#include <random>

#include "feed.hpp"

namespace funnel::resp::testing {
namespace {

struct Case {
  std::string name;
  std::string input;
  FrameStatus status;
  std::size_t length = 0;  // kComplete; 0 means the whole input
  ReplyKind kind = ReplyKind::kNull;
  std::string error = {};
  FramerLimits limits = {};
};

FrameOutcome expected(const Case& c) {
  FrameOutcome o;
  o.status = c.status;
  if (c.status == FrameStatus::kComplete) {
    o.length = c.length == 0 ? c.input.size() : c.length;
    o.kind = c.kind;
  } else if (c.status == FrameStatus::kInvalid) {
    o.error = c.error;
  }
  return o;
}

constexpr auto kOk = FrameStatus::kComplete;
constexpr auto kBad = FrameStatus::kInvalid;
constexpr auto kMore = FrameStatus::kNeedMore;
using K = ReplyKind;

const std::string kHello3 =
    "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
    "$2\r\nid\r\n:32\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$7\r\nmodules\r\n*0\r\n";
const std::string kAttrib =
    "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
    "$39\r\nSome real reply following the attribute\r\n";

FramerLimits depth(std::size_t max_depth) {
  FramerLimits limits;
  limits.max_depth = max_depth;
  return limits;
}

FramerLimits reply_bytes(std::size_t max_reply_bytes) {
  FramerLimits limits;
  limits.max_reply_bytes = max_reply_bytes;
  return limits;
}

// `levels` nested headers around `inner`: Redis's "Script return recursive object" reply is
// nested("*1\r\n", 7995, "-ERR reached lua stack limit\r\n").
std::string nested(const std::string& header, std::size_t levels, const std::string& inner) {
  std::string out;
  for (std::size_t i = 0; i < levels; ++i) out += header;
  return out + inner;
}

const std::vector<Case> kCompleteCases = {
    {"DeepRecursiveScriptObject", nested("*1\r\n", 2000, "-ERR reached lua stack limit\r\n"), kOk,
     0, K::kArray},
    {"DeepMaps", nested("%1\r\n+k\r\n", 1000, ":1\r\n"), kOk, 0, K::kMap},
    {"DeepAttributes", nested("|1\r\n+a\r\n+b\r\n*1\r\n", 500, "_\r\n"), kOk, 0, K::kArray},
    {"DeepStreamedAggregates", nested("*?\r\n", 1000, ":1\r\n") + nested(".\r\n", 1000, ""), kOk, 0,
     K::kArray},
    {"Simple", "+OK\r\n", kOk, 0, K::kSimpleString},
    {"SimpleFollowedByMore", "+OK\r\n:1\r\n", kOk, 5, K::kSimpleString},
    {"Error", "-ERR unknown command 'x'\r\n", kOk, 0, K::kError},
    {"Integer", ":1000\r\n", kOk, 0, K::kInteger},
    {"NegativeInteger", ":-5\r\n", kOk, 0, K::kInteger},
    {"PlusInteger", ":+5\r\n", kOk, 0, K::kInteger},
    {"Bulk", "$5\r\nhello\r\n", kOk, 0, K::kBulk},
    {"BulkWithCrlfInside", "$4\r\na\r\nb\r\n", kOk, 0, K::kBulk},
    {"EmptyBulk", "$0\r\n\r\n", kOk, 0, K::kBulk},
    {"NullBulk", "$-1\r\n", kOk, 0, K::kBulk},
    {"Array", "*2\r\n$3\r\nfoo\r\n:1\r\n", kOk, 0, K::kArray},
    {"EmptyArray", "*0\r\n", kOk, 0, K::kArray},
    {"NullArray", "*-1\r\n", kOk, 0, K::kArray},
    {"NestedArrays", "*3\r\n*1\r\n+a\r\n*0\r\n*2\r\n$-1\r\n*-1\r\n", kOk, 0, K::kArray},
    {"Null", "_\r\n", kOk, 0, K::kNull},
    {"Double", ",3.14\r\n", kOk, 0, K::kDouble},
    {"DoubleRedisFormat", ",1.1000000000000001\r\n", kOk, 0, K::kDouble},
    {"DoubleExponent", ",1e+100\r\n", kOk, 0, K::kDouble},
    {"DoubleInf", ",inf\r\n", kOk, 0, K::kDouble},
    {"DoubleMinusInf", ",-inf\r\n", kOk, 0, K::kDouble},
    {"DoubleNan", ",nan\r\n", kOk, 0, K::kDouble},
    {"True", "#t\r\n", kOk, 0, K::kBoolean},
    {"False", "#f\r\n", kOk, 0, K::kBoolean},
    {"BigNumber", "(1234567999999999999999999999999999999\r\n", kOk, 0, K::kBigNumber},
    {"Verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n", kOk, 0, K::kVerbatim},
    {"Map", "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", kOk, 0, K::kMap},
    {"Hello3", kHello3, kOk, 0, K::kMap},
    {"Set", "~3\r\n:0\r\n:1\r\n:2\r\n", kOk, 0, K::kSet},
    {"Push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", kOk, 0, K::kPush},
    {"BlobError", "!21\r\nSYNTAX invalid syntax\r\n", kOk, 0, K::kError},
    {"AttributeThenBulk", kAttrib, kOk, 0, K::kBulk},
    {"EmptyAttribute", "|0\r\n+OK\r\n", kOk, 0, K::kSimpleString},
    {"TwoAttributes", "|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n:7\r\n", kOk, 0, K::kInteger},
    {"AttributeInsideArray", "*2\r\n|1\r\n+k\r\n+v\r\n:1\r\n:2\r\n", kOk, 0, K::kArray},
    {"StreamedString", "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n", kOk, 0, K::kBulk},
    {"StreamedStringEmpty", "$?\r\n;0\r\n", kOk, 0, K::kBulk},
    {"StreamedArray", "*?\r\n:1\r\n*1\r\n+x\r\n.\r\n", kOk, 0, K::kArray},
    {"StreamedMap", "%?\r\n+a\r\n:1\r\n.\r\n", kOk, 0, K::kMap},
    {"StreamedSetEmpty", "~?\r\n.\r\n", kOk, 0, K::kSet},
    {"StreamedNested", "*2\r\n$?\r\n;1\r\na\r\n;0\r\n*?\r\n*?\r\n.\r\n.\r\n", kOk, 0, K::kArray},
    {"DepthAtLimit", "*1\r\n*1\r\n*1\r\n:1\r\n", kOk, 0, K::kArray, {}, depth(3)},
    {"BulkAtReplyLimit", "$3\r\nabc\r\n", kOk, 0, K::kBulk, {}, reply_bytes(9)},
};

const std::vector<Case> kNeedMoreCases = {
    {"SimpleNoLf", "+OK\r", kMore},
    {"SimpleNoCr", "+OK", kMore},
    {"BulkPartial", "$5\r\nhel", kMore},
    {"BulkNoCrlf", "$5\r\nhello", kMore},
    {"ArrayMissingElement", "*2\r\n:1\r\n", kMore},
    {"StreamedStringOpen", "$?\r\n;4\r\nHell\r\n", kMore},
    {"StreamedArrayOpen", "*?\r\n:1\r\n", kMore},
    {"AttributeWithoutValue", "|1\r\n+a\r\n+b\r\n", kMore},
};

const std::vector<Case> kInvalidCases = {
    {"UnknownType", "?\r\n", kBad, 0, K::kNull, "unknown reply type byte"},
    {"UnknownTypeEarly", "x", kBad, 0, K::kNull, "unknown reply type byte"},
    {"BareCrlf", "\r\n", kBad, 0, K::kNull, "unknown reply type byte"},
    {"UnknownTypeInArray", "*1\r\nhello\r\n", kBad, 0, K::kNull, "unknown reply type byte"},
    {"CrWithoutLf", "+OK\rX", kBad, 0, K::kNull, "expected CRLF at the end of a line"},
    {"BulkNegative", "$-2\r\n", kBad, 0, K::kNull, "invalid bulk length"},
    {"BulkNotNumber", "$abc\r\n", kBad, 0, K::kNull, "invalid bulk length"},
    {"VerbatimNull", "=-1\r\n", kBad, 0, K::kNull, "invalid bulk length"},
    {"BlobErrorNull", "!-1\r\n", kBad, 0, K::kNull, "invalid bulk length"},
    {"BulkPayloadTooLong", "$3\r\nabcd\r\n", kBad, 0, K::kNull, "expected CRLF after a payload"},
    {"ArrayNegative", "*-2\r\n", kBad, 0, K::kNull, "invalid aggregate length"},
    {"MapNull", "%-1\r\n", kBad, 0, K::kNull, "invalid aggregate length"},
    {"PushStreamed", ">?\r\n", kBad, 0, K::kNull, "invalid aggregate length"},
    {"AttributeStreamed", "|?\r\n", kBad, 0, K::kNull, "invalid aggregate length"},
    {"IntegerGarbage", ":12a\r\n", kBad, 0, K::kNull, "invalid value in a reply line"},
    {"IntegerEmpty", ":\r\n", kBad, 0, K::kNull, "invalid value in a reply line"},
    {"IntegerOverflow", ":9223372036854775808\r\n", kBad, 0, K::kNull,
     "invalid value in a reply line"},
    {"DoubleGarbage", ",abc\r\n", kBad, 0, K::kNull, "invalid value in a reply line"},
    {"BooleanGarbage", "#x\r\n", kBad, 0, K::kNull, "invalid value in a reply line"},
    {"NullWithText", "_x\r\n", kBad, 0, K::kNull, "invalid value in a reply line"},
    {"BigNumberGarbage", "(12a\r\n", kBad, 0, K::kNull, "invalid value in a reply line"},
    {"VerbatimTooShort", "=3\r\ntxt\r\n", kBad, 0, K::kNull, "invalid verbatim string"},
    {"VerbatimNoColon", "=4\r\ntxtx\r\n", kBad, 0, K::kNull, "invalid verbatim string"},
    {"StreamEndAtTop", ".\r\n", kBad, 0, K::kNull, "unexpected end of a streamed aggregate"},
    {"StreamEndInCounted", "*1\r\n.\r\n", kBad, 0, K::kNull,
     "unexpected end of a streamed aggregate"},
    {"StreamEndWithText", "*?\r\n.x\r\n", kBad, 0, K::kNull,
     "unexpected end of a streamed aggregate"},
    {"StreamEndAfterAttribute", "*?\r\n|1\r\n+a\r\n+b\r\n.\r\n", kBad, 0, K::kNull,
     "unexpected end of a streamed aggregate"},
    {"ChunkWithoutSemicolon", "$?\r\n:1\r\n", kBad, 0, K::kNull,
     "expected ';' in a streamed string"},
    {"ChunkNegative", "$?\r\n;-1\r\n", kBad, 0, K::kNull, "invalid streamed string chunk length"},
    {"ChunkNoCrlf", "$?\r\n;1\r\nab\r\n", kBad, 0, K::kNull, "expected CRLF after a payload"},
    {"TooDeep", "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", kBad, 0, K::kNull,
     "reply nested deeper than max_depth", depth(3)},
    {"TooDeepAttribute", "*1\r\n*1\r\n|1\r\n", kBad, 0, K::kNull,
     "reply nested deeper than max_depth", depth(2)},
    {"BulkOverReplyLimit", "$3\r\nabc\r\n", kBad, 0, K::kNull, "reply exceeds max_reply_bytes",
     reply_bytes(8)},
    {"LineOverReplyLimit", "+0123456789", kBad, 0, K::kNull, "reply exceeds max_reply_bytes",
     reply_bytes(10)},
    {"CountOverReplyLimit", "*4\r\n", kBad, 0, K::kNull, "reply exceeds max_reply_bytes",
     reply_bytes(11)},
};

// gtest prints a case by its name instead of its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class ReplyFramerCase : public ::testing::TestWithParam<Case> {};

TEST_P(ReplyFramerCase, Whole) {
  EXPECT_EQ(frame_whole(GetParam().input, GetParam().limits), expected(GetParam()));
}

TEST_P(ReplyFramerCase, EverySplit) {
  const Case& c = GetParam();
  for (std::size_t at = 1; at < c.input.size(); ++at) {
    ASSERT_EQ(frame_split(c.input, at, c.limits), expected(c)) << "split at " << at;
  }
}

TEST_P(ReplyFramerCase, ByteAtATime) {
  EXPECT_EQ(frame_bytewise(GetParam().input, GetParam().limits), expected(GetParam()));
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Complete, ReplyFramerCase, ::testing::ValuesIn(kCompleteCases), case_name);
INSTANTIATE_TEST_SUITE_P(NeedMore, ReplyFramerCase, ::testing::ValuesIn(kNeedMoreCases), case_name);
INSTANTIATE_TEST_SUITE_P(Invalid, ReplyFramerCase, ::testing::ValuesIn(kInvalidCases), case_name);

// A backend's reply stream in random pieces, compacted after each reply like a BackendLink buffer.
TEST(ReplyFramer, StreamOfRepliesInRandomPieces) {
  std::vector<std::string> replies;
  for (const Case& c : kCompleteCases) {
    if (c.length == 0 && c.limits.max_depth == FramerLimits{}.max_depth) replies.push_back(c.input);
  }
  std::string stream;
  for (const auto& r : replies) stream += r;
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    ReplyFramer framer;
    std::string buffer;
    std::size_t fed = 0;
    std::size_t next = 0;
    while (next < replies.size()) {
      ASSERT_LT(fed, stream.size()) << "stalled with every byte fed";
      std::size_t piece = std::uniform_int_distribution<std::size_t>(1, 40)(rng);
      buffer.append(stream.substr(fed, piece));
      fed += std::min(piece, stream.size() - fed);
      std::string moved(buffer);
      buffer.swap(moved);
      while (next < replies.size() && framer.frame(buffer) == FrameStatus::kComplete) {
        ASSERT_EQ(buffer.substr(0, framer.length()), replies[next]);
        buffer.erase(0, framer.length());
        ++next;
      }
    }
  }
}

TEST(ReplyFramer, StaysInvalidUntilReset) {
  ReplyFramer framer;
  std::string bad = "?\r\n";
  std::string good = ":1\r\n";
  ASSERT_EQ(framer.frame(bad), FrameStatus::kInvalid);
  EXPECT_EQ(framer.frame(good), FrameStatus::kInvalid);
  framer.reset();
  ASSERT_EQ(framer.frame(good), FrameStatus::kComplete);
  EXPECT_EQ(framer.kind(), ReplyKind::kInteger);
  EXPECT_EQ(framer.length(), 4u);
}

// 64 MB in 64 KB pieces: linear only if the framer resumes instead of rescanning.
TEST(ReplyFramer, HugeBulkInSmallPiecesIsLinear) {
  constexpr std::size_t kPayload = 64u * 1024 * 1024;
  std::string buf = "*2\r\n:1\r\n$" + std::to_string(kPayload) + "\r\n";
  const std::size_t total = buf.size() + kPayload + 2;
  buf.reserve(total);
  ReplyFramer framer;
  FrameStatus status = framer.frame(buf);
  while (buf.size() < total) {
    ASSERT_EQ(status, FrameStatus::kNeedMore);
    buf.append(std::min<std::size_t>(64 * 1024, total - buf.size()), '\r');
    if (buf.size() == total) buf.replace(total - 2, 2, "\r\n");
    status = framer.frame(buf);
  }
  ASSERT_EQ(status, FrameStatus::kComplete);
  EXPECT_EQ(framer.length(), total);
  EXPECT_EQ(framer.kind(), ReplyKind::kArray);
}

// Nesting as deep as the bytes allow: the framer has no depth limit of its own and no recursion.
TEST(ReplyFramer, FramesAMillionLevels) {
  const std::string reply = nested("*1\r\n", 1'000'000, ":1\r\n");
  EXPECT_EQ(frame_whole(reply, {}).length, reply.size());
}

// What a link streaming a large reply does: after every kNeedMore it drops the settled bytes
// (passing them on); the bytes passed on plus the completed rest are the reply, in order.
std::string frame_releasing(const std::string& stream, std::size_t piece,
                            std::vector<std::string>& replies) {
  ReplyFramer framer;
  std::string buffer;
  std::string passed;  // released bytes of the reply in progress
  for (std::size_t fed = 0; fed < stream.size(); fed += piece) {
    buffer.append(stream.substr(fed, piece));
    for (;;) {
      const FrameStatus status = framer.frame(buffer);
      if (status == FrameStatus::kInvalid) return std::string(framer.error());
      if (status == FrameStatus::kNeedMore) {
        const std::size_t n = framer.releasable();
        if (n >= buffer.size() && !buffer.empty()) return "released every buffered byte";
        passed += buffer.substr(0, n);
        buffer.erase(0, n);
        framer.release_settled(n);
        break;
      }
      replies.push_back(passed + buffer.substr(0, framer.length()));
      buffer.erase(0, framer.length());
      passed.clear();
      framer.reset();
    }
  }
  return buffer.empty() && passed.empty() ? "" : "bytes left over";
}

TEST(ReplyFramer, ReleasingSettledBytesKeepsEveryReplyWhole) {
  const std::vector<std::string> expected = {
      "*3\r\n$10\r\n0123456789\r\n:1\r\n$?\r\n;4\r\nabcd\r\n;2\r\nef\r\n;0\r\n",
      "+OK\r\n",
      "$26\r\nabcdefghijklmnopqrstuvwxyz\r\n",
      "=15\r\ntxt:Some string\r\n",
      nested("*1\r\n", 50, "$5\r\nhello\r\n"),
      kAttrib,
      "$0\r\n\r\n"};
  std::string stream;
  for (const auto& reply : expected) stream += reply;
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    std::vector<std::string> replies;
    ASSERT_EQ(frame_releasing(stream, piece, replies), "") << "pieces of " << piece;
    ASSERT_EQ(replies, expected) << "pieces of " << piece;
  }
}

TEST(ReplyFramer, PartialKindIsKnownAfterTheFirstHeader) {
  ReplyFramer framer;
  ReplyKind kind = ReplyKind::kNull;
  std::string buf = "|1\r\n+a\r\n";
  ASSERT_EQ(framer.frame(buf), FrameStatus::kNeedMore);
  EXPECT_FALSE(framer.partial_kind(kind));  // only an attribute so far
  buf += "+b\r\n$100\r\nab";
  ASSERT_EQ(framer.frame(buf), FrameStatus::kNeedMore);
  ASSERT_TRUE(framer.partial_kind(kind));
  EXPECT_EQ(kind, ReplyKind::kBulk);
  EXPECT_EQ(framer.settled(), buf.size());  // the payload bytes that arrived are settled
  EXPECT_EQ(framer.releasable(), buf.size() - 1);
}

struct ErrorCodeCase {
  std::string reply;
  std::string code;
  bool expected;
};

TEST(ErrorCodeIs, MatchesTheFirstWordExactly) {
  const std::vector<ErrorCodeCase> cases = {
      {"-READONLY You can't write against a read only replica.\r\n", "READONLY", true},
      {"-MOVED 3999 127.0.0.1:6381\r\n", "MOVED", true},
      {"-ASK 3999 127.0.0.1:6381\r\n", "ASK", true},
      {"-LOADING\r\n", "LOADING", true},
      {"-MOVEDX 1 a:1\r\n", "MOVED", false},
      {"-MOVE 1 a:1\r\n", "MOVED", false},
      {"-ERR moved\r\n", "MOVED", false},
      {"-moved 1 a:1\r\n", "MOVED", false},
      {"+MOVED 1 a:1\r\n", "MOVED", false},
      {"$5\r\nMOVED\r\n", "MOVED", false},
      {"!15\r\nLOADING dataset\r\n", "LOADING", true},
      {"!7\r\nLOADING\r\n", "LOADING", true},
      {"!7\r\nLOADING\r\n", "LOAD", false},
      {"-ERR x\r\n", "", false},
      {"", "ERR", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(error_code_is(c.reply, c.code), c.expected) << c.reply << " / " << c.code;
  }
}

}  // namespace
}  // namespace funnel::resp::testing
