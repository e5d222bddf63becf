// RequestParser across many pieces: a partial request is suspended into a ParsePosition while the
// parser serves other clients, then resumed, and its total cost stays linear in its bytes. Also
// requests with more than 1,048,576 arguments, which Redis 7 accepts (issue #14, items 5 and 11).
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "feed.hpp"

namespace funnel::resp::testing {
namespace {

std::string multibulk(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// "*<n+2>\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n" and n arguments "$<len(i)>\r\n<i>\r\n".
std::string numbered_request(std::size_t n) {
  std::string out = "*" + std::to_string(n + 2) + "\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n";
  out.reserve(out.size() + n * 12);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string value = std::to_string(i);
    out += "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  return out;
}

// Feeds `input` in pieces of `piece` bytes to a parser shared with another client, as a worker
// does: the buffer grows (and moves) as bytes arrive; between pieces the request is suspended.
ParseStatus feed_in_pieces(RequestParser& parser, const std::string& input, std::size_t piece,
                           std::string& buffer) {
  ParsePosition position;
  bool suspended = false;
  for (std::size_t fed = 0; fed < input.size();) {
    const std::size_t n = std::min(piece, input.size() - fed);
    buffer.append(input, fed, n);
    fed += n;
    if (suspended) parser.resume(position);
    const ParseStatus status = parser.parse(buffer);
    if (status != ParseStatus::kNeedMore) return status;
    parser.suspend(position);
    suspended = true;
    std::string other = "*2\r\n$3\r\nGET\r\n$5\r\nother\r\n";
    parser.reset();
    if (parser.parse(other) != ParseStatus::kComplete) return ParseStatus::kInvalid;
  }
  return ParseStatus::kNeedMore;
}

// 300,000 arguments in 7-byte pieces: a parser that started again from the first byte on each
// piece would scan ~3 * 10^11 bytes here (minutes); resuming it scans each byte about once.
TEST(RequestParserResume, ManyArgumentsInTinyPiecesCostLinearTime) {
  constexpr std::size_t kArgs = 300'000;
  std::string input = "*" + std::to_string(kArgs) + "\r\n";
  for (std::size_t i = 0; i < kArgs; ++i) input += "$1\r\nx\r\n";
  RequestParser parser;
  std::string buffer;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(feed_in_pieces(parser, input, 7, buffer), ParseStatus::kComplete);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(parser.consumed(), input.size());
  EXPECT_EQ(parser.request().argc(), kArgs);
  EXPECT_EQ(parser.request().arg(kArgs - 1), "x");
  EXPECT_EQ(parser.request().raw().size(), input.size());
  EXPECT_LT(elapsed, std::chrono::seconds(20)) << "quadratic?";
}

TEST(RequestParserResume, ArgumentsAreFoundAgainAcrossRandomPieces) {
  std::vector<std::string> args = {"SET", "", "k", std::string(100'000, 'v'), "a\r\nb", "\r\n"};
  for (int i = 0; i < 200; ++i)
    args.push_back(std::string(static_cast<std::size_t>(i), 'a' + i % 26));
  const std::string input = multibulk(args) + "*1\r\n$4\r\nPING\r\n";
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    RequestParser parser;
    std::string buffer;
    const std::size_t piece = std::uniform_int_distribution<std::size_t>(1, 4096)(rng);
    ASSERT_EQ(feed_in_pieces(parser, input, piece, buffer), ParseStatus::kComplete);
    ASSERT_EQ(parser.request().argc(), args.size()) << "pieces of " << piece;
    for (std::size_t i = 0; i < args.size(); ++i) {
      ASSERT_EQ(parser.request().arg(i), args[i]) << "argument " << i << ", pieces of " << piece;
    }
    EXPECT_EQ(parser.consumed(), input.size() - 14);
    // The pipelined request after it parses from where this one ended.
    std::string next = buffer.substr(parser.consumed()) + input.substr(buffer.size());
    parser.reset();
    ASSERT_EQ(parser.parse(next), ParseStatus::kComplete);
    EXPECT_EQ(parser.request().arg(0), "PING");
  }
}

TEST(RequestParserResume, MoreThanAMillionArgumentsWholeAndInPieces) {
  constexpr std::size_t kArgs = 1'100'000;
  const std::string input = numbered_request(kArgs);
  {
    RequestParser parser;
    ASSERT_EQ(parser.parse(input), ParseStatus::kComplete) << parser.error();
    EXPECT_EQ(parser.request().argc(), kArgs + 2);
    EXPECT_EQ(parser.request().arg(kArgs + 1), std::to_string(kArgs - 1));
  }
  RequestParser parser;
  std::string buffer;
  ASSERT_EQ(feed_in_pieces(parser, input, 64 * 1024, buffer), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().argc(), kArgs + 2);
  EXPECT_EQ(parser.request().arg(2), "0");
  EXPECT_EQ(parser.request().arg(kArgs + 1), std::to_string(kArgs - 1));
  // The storage for 1.1 million views is given back when the next request starts (by reset(),
  // by parse() alone, or by resuming another client's request); the parser goes on as before.
  EXPECT_GE(parser.arg_storage(), kArgs + 2);
  parser.reset();
  EXPECT_EQ(parser.arg_storage(), RequestParser::kKeptArgs);
  std::string get = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  ASSERT_EQ(parser.parse(get), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().arg(1), "k");

  std::string again = numbered_request(10'000) + get;
  ASSERT_EQ(parser.parse(again), ParseStatus::kComplete);
  EXPECT_GT(parser.arg_storage(), RequestParser::kKeptArgs);
  ASSERT_EQ(parser.parse(std::string_view(again).substr(parser.consumed())),
            ParseStatus::kComplete);
  EXPECT_EQ(parser.request().arg(1), "k");
  EXPECT_EQ(parser.arg_storage(), RequestParser::kKeptArgs);

  ASSERT_EQ(parser.parse(again), ParseStatus::kComplete);
  ParsePosition other;
  std::string partial = "*2\r\n$3\r\nGET";
  RequestParser helper;
  ASSERT_EQ(helper.parse(partial), ParseStatus::kNeedMore);
  helper.suspend(other);
  parser.resume(other);
  EXPECT_EQ(parser.arg_storage(), RequestParser::kKeptArgs);
  partial += "\r\n$1\r\nk\r\n";
  ASSERT_EQ(parser.parse(partial), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().arg(1), "k");
}

// redis-server 7.0: "*2147483647\r\n" waits for arguments, "*2147483648\r\n" is refused.
TEST(RequestParserResume, CountsUpToIntMaxAreAccepted) {
  RequestParser parser;
  std::string at_max = "*2147483647\r\n";
  EXPECT_EQ(parser.parse(at_max), ParseStatus::kNeedMore);
  parser.reset();
  std::string above = "*2147483648\r\n";
  EXPECT_EQ(parser.parse(above), ParseStatus::kInvalid);
  EXPECT_EQ(parser.error(), "invalid multibulk length");
}

// A suspended request keeps only offsets: resumed on a parser that another client left invalid,
// it goes on as if nothing happened.
TEST(RequestParserResume, ResumeClearsAnotherClientsError) {
  RequestParser parser;
  std::string first = "*2\r\n$3\r\nGET\r\n$3\r\nke";
  ASSERT_EQ(parser.parse(first), ParseStatus::kNeedMore);
  ParsePosition position;
  parser.suspend(position);
  std::string bad = "*3\r\n$x\r\n";
  ASSERT_EQ(parser.parse(bad), ParseStatus::kInvalid);
  parser.resume(position);
  first += "y\r\n";
  ASSERT_EQ(parser.parse(first), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().arg(1), "key");
}

}  // namespace
}  // namespace funnel::resp::testing
