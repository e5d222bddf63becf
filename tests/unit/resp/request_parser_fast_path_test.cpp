// Differential test of RequestParser's one-pass fast path: a buffer given whole goes through it
// (when it applies), the same bytes fed one at a time go through the resumable state machine
// only. Both must give the same request or the same error for every input, so the generator
// aims at the fast path's edges: digit counts, leading zeros, signs, odd type bytes and line
// ends, NULs, truncation, and each limit just under, at and over the request's size.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "feed.hpp"
#include "random_input.hpp"

namespace funnel::resp::testing {
namespace {

class RequestGenerator : public RandomInput {
 public:
  explicit RequestGenerator(std::uint32_t seed) : RandomInput(seed) {}

  std::string next() {
    std::string out;
    const std::size_t argc = pick({0, 1, 1, 2, 3, 3, 5, 12});
    append_header(out, '*', argc);
    for (std::size_t i = 0; i < argc; ++i) {
      const std::size_t len = pick({0, 1, 3, 9, 10, 16, 99, 100, 1000});
      append_header(out, '$', len);
      out.append(len, static_cast<char>('a' + i % 26));
      out.append(one_in(40) ? "\n\r" : "\r\n");  // Redis skips these two bytes unchecked
    }
    if (one_in(4)) out.append("*1\r\n$4\r\nPING\r\n");  // a pipelined follower
    if (one_in(5)) out[uniform(out.size())] = pick_char();
    if (one_in(4)) out.resize(uniform(out.size() + 1));
    return out;
  }

 private:
  void append_header(std::string& out, char type, std::size_t n) {
    out.push_back(one_in(60) ? pick_char() : type);
    switch (uniform(24)) {
      case 0:
        out.append("0");  // a leading zero
        break;
      case 1:
        out.append("-");
        break;
      case 2:
        out.append("+");
        break;
      case 3:
        out.append("00000000000");  // more than 9 digits
        break;
      default:
        break;
    }
    out.append(one_in(30) ? "-1" : std::to_string(n));
    if (one_in(40)) out.push_back('\0');  // hides the line end from Redis
    out.append(one_in(40) ? "\n" : "\r\n");
  }

  char pick_char() { return "*$\r\n\0 0123456789-+x"[uniform(19)]; }
};

std::vector<ParseLimits> limits_around(std::size_t size) {
  std::vector<ParseLimits> all = {ParseLimits{}};
  for (std::size_t delta : {0, 1, 2}) {
    const std::size_t n = size > delta ? size - delta : 0;
    all.push_back(ParseLimits{.max_request_bytes = n});
    all.push_back(ParseLimits{.max_bulk_bytes = n % 128});
    all.push_back(ParseLimits{.max_args = n % 8});
  }
  return all;
}

TEST(RequestParserFastPath, AgreesWithTheStateMachineByteByByte) {
  RequestGenerator generator(20261127);
  std::size_t complete = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string input = generator.next();
    for (const ParseLimits& limits : limits_around(input.size())) {
      const RequestOutcome whole = parse_whole(input, limits);
      ASSERT_EQ(whole, parse_bytewise(input, limits))
          << "input: " << ::testing::PrintToString(input);
      complete += whole.status == ParseStatus::kComplete;
    }
  }
  EXPECT_GT(complete, 1000u);  // the generator does reach the fast path's success case
}

TEST(RequestParserFastPath, ReusedParserForgetsTheLongerRequestBefore) {
  RequestParser parser;
  std::string longer = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
  ASSERT_EQ(parser.parse(longer), ParseStatus::kComplete);
  parser.reset();
  std::string shorter = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(parser.parse(shorter), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().argc(), 1u);
  EXPECT_EQ(parser.request().args().size(), 1u);
  parser.reset();
  EXPECT_TRUE(parser.request().is_empty());
}

TEST(RequestParserFastPath, HeadersWithThreeOrMoreDigits) {
  const std::string value(12345, 'v');
  const std::string input =
      "*2\r\n$123\r\n" + std::string(123, 'k') + "\r\n$12345\r\n" + value + "\r\n";
  const RequestOutcome whole = parse_whole(input, {});
  EXPECT_EQ(whole.status, ParseStatus::kComplete);
  ASSERT_EQ(whole.args.size(), 2u);
  EXPECT_EQ(whole.args[1], value);
  EXPECT_EQ(whole, parse_bytewise(input, {}));
}

}  // namespace
}  // namespace funnel::resp::testing
