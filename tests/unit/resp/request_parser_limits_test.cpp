// RequestParser limits: Redis's own (arguments, bulk length, header and inline line lengths) at
// their boundaries, and Funnel's max_request_bytes, refused as early as the header allows.
#include <gtest/gtest.h>

#include "feed.hpp"

namespace funnel::resp::testing {
namespace {

std::string too_big_text(std::size_t limit) {
  return "request exceeds max_request_bytes (" + std::to_string(limit) +
         " bytes); raise limits.max_request_bytes or send smaller values";
}

ParseStatus parse_once(const ParseLimits& limits, std::string input, std::string* error = nullptr) {
  RequestParser parser(limits);
  ParseStatus status = parser.parse(input);
  if (error != nullptr) *error = std::string(parser.error());
  return status;
}

TEST(RequestParserLimits, MaxArgsBoundary) {
  ParseLimits limits;
  limits.max_args = 2;
  EXPECT_EQ(parse_once(limits, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"), ParseStatus::kComplete);
  std::string error;
  EXPECT_EQ(parse_once(limits, "*3\r\n", &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, "invalid multibulk length");
}

// Redis 7 refuses only counts above INT_MAX (max_request_bytes bounds the request anyway).
TEST(RequestParserLimits, DefaultMaxArgsIsRedisIntMax) {
  EXPECT_EQ(parse_once({}, "*1048577\r\n"), ParseStatus::kNeedMore);
  EXPECT_EQ(parse_once({}, "*2147483647\r\n"), ParseStatus::kNeedMore);
  std::string error;
  EXPECT_EQ(parse_once({}, "*2147483648\r\n", &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, "invalid multibulk length");
}

TEST(RequestParserLimits, MaxBulkBoundary) {
  ParseLimits limits;
  limits.max_bulk_bytes = 3;
  EXPECT_EQ(parse_once(limits, "*1\r\n$3\r\nabc\r\n"), ParseStatus::kComplete);
  std::string error;
  EXPECT_EQ(parse_once(limits, "*1\r\n$4\r\n", &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, "invalid bulk length");
}

TEST(RequestParserLimits, MaxRequestBoundaryIsInclusive) {
  const std::string request = "*1\r\n$10\r\n0123456789\r\n";  // 21 bytes
  ParseLimits limits;
  limits.max_request_bytes = 21;
  EXPECT_EQ(parse_once(limits, request), ParseStatus::kComplete);
  limits.max_request_bytes = 20;
  std::string error;
  EXPECT_EQ(parse_once(limits, request, &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, too_big_text(20));
}

TEST(RequestParserLimits, MaxRequestIsDecidedAtTheBulkHeader) {
  ParseLimits limits;
  limits.max_request_bytes = 20;
  std::string error;
  EXPECT_EQ(parse_once(limits, "*1\r\n$10\r\n", &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, too_big_text(20));
}

TEST(RequestParserLimits, MaxRequestCountsEveryArgument) {
  ParseLimits limits;
  limits.max_request_bytes = 30;
  // After three "$1\r\na\r\n" (pos 25) the fourth ends at 25 + 7 = 32 > 30.
  const std::string prefix = "*5\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n";
  EXPECT_EQ(parse_once(limits, prefix), ParseStatus::kNeedMore);
  std::string error;
  EXPECT_EQ(parse_once(limits, prefix + "$1\r\n", &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, too_big_text(30));
}

TEST(RequestParserLimits, DefaultMaxRequestTextAndOrderOfChecks) {
  std::string error;
  // A 64 MB - 1 bulk is valid for Redis, but with its headers the request passes 64 MB.
  EXPECT_EQ(parse_once({}, "*1\r\n$67108863\r\n", &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, too_big_text(67108864));
  EXPECT_EQ(error,
            "request exceeds max_request_bytes (67108864 bytes); raise "
            "limits.max_request_bytes or send smaller values");
  // Redis's own limit is checked first.
  EXPECT_EQ(parse_once({}, "*1\r\n$536870913\r\n", &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, "invalid bulk length");
}

TEST(RequestParserLimits, InlineRequestIsMeasuredReencoded) {
  const std::string line = "SET key value1234\r\n";  // 37 bytes once re-encoded
  ParseLimits limits;
  limits.max_request_bytes = 37;
  EXPECT_EQ(parse_once(limits, line), ParseStatus::kComplete);
  limits.max_request_bytes = 36;
  std::string error;
  EXPECT_EQ(parse_once(limits, line, &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, too_big_text(36));
}

// Redis's PROTO_INLINE_MAX_SIZE (64 KB) with the default limits; not split (too slow).
TEST(RequestParserLimits, DefaultHeaderAndInlineLimits) {
  std::string error;
  EXPECT_EQ(parse_once({}, "*" + std::string(65536, '1'), &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, "too big mbulk count string");
  EXPECT_EQ(parse_once({}, "*" + std::string(65535, '1')), ParseStatus::kNeedMore);
  EXPECT_EQ(parse_once({}, "*1\r\n$" + std::string(65536, '1'), &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, "too big bulk count string");
  EXPECT_EQ(parse_once({}, "GET " + std::string(65533, 'k'), &error), ParseStatus::kInvalid);
  EXPECT_EQ(error, "too big inline request");
  EXPECT_EQ(parse_once({}, "GET " + std::string(65532, 'k')), ParseStatus::kNeedMore);
}

// Redis too: a long inline line that arrives whole, newline included, is accepted.
TEST(RequestParserLimits, LongInlineLineArrivingWholeIsAccepted) {
  RequestParser parser;
  std::string line = "ECHO " + std::string(70000, 'a') + "\r\n";
  ASSERT_EQ(parser.parse(line), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().arg(1).size(), 70000u);
}

TEST(RequestParserLimits, SetLimitsAppliesToTheNextHeader) {
  RequestParser parser;
  std::string buf = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(parser.parse(buf), ParseStatus::kComplete);
  ParseLimits limits;
  limits.max_bulk_bytes = 3;
  parser.set_limits(limits);
  EXPECT_EQ(parser.parse(buf), ParseStatus::kInvalid);
  EXPECT_EQ(parser.error(), "invalid bulk length");
}

}  // namespace
}  // namespace funnel::resp::testing
