// split_inline_args against sdssplitargs's rules; the cases marked "Redis:" were sent to
// redis-server 7.0 as "ECHO <line>" and the reply (or error) compared.
#include <gtest/gtest.h>

#include "resp/request_parser.hpp"

namespace funnel::resp {
namespace {

using namespace std::string_literals;

struct SplitCase {
  std::string line;
  bool ok;
  std::vector<std::string> args;
};

std::vector<std::string> split(const std::string& line, bool& ok) {
  std::string bytes;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
  ok = split_inline_args(line, bytes, spans);
  std::vector<std::string> args;
  for (auto [offset, length] : spans) args.push_back(bytes.substr(offset, length));
  return args;
}

const std::vector<SplitCase> kCases = {
    {"", true, {}},
    {" \t\v\f\r\n ", true, {}},
    {"a b  c", true, {"a", "b", "c"}},
    {"\"\"", true, {""}},
    {"''", true, {""}},
    {"\"a b\" 'c d'", true, {"a b", "c d"}},
    {"\"\\x41\\x4a\\x4G\"", true, {"AJx4G"}},  // Redis: \x4G is not hex, "\x" -> "x"
    {"\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"", true, {"\n\r\t\b\a\\\"q"}},
    {"'a\\'b'", true, {"a'b"}},
    {"'a\\\\b'", true, {"a\\\\b"}},  // Redis: only \' is an escape in '...'
    {"'a\\nb'", true, {"a\\nb"}},
    {"ab\"c d\"", true, {"abc d"}},  // Redis: a quote may open mid-argument
    {"ab'c d'", true, {"abc d"}},
    {"\"a\"\t\"b\"", true, {"a", "b"}},
    {"\"a\"\v", true, {"a"}},  // Redis: any isspace() may follow a quote
    {"a\vb", true, {"a\vb"}},  // ... but only " \t\r\n" end a bare arg
    {"a\fb", true, {"a\fb"}},
    {"\"a\"b", false, {}},
    {"'a'b", false, {}},
    {"\"abc", false, {}},
    {"'abc", false, {}},
    {"\"a\\\"", false, {}},  // Redis: the quote is escaped: unbalanced
    {"\"a\\", false, {}},
    {"\"\\x4\"", true, {"x4"}},
    {"\"\\x\"", true, {"x"}},
    {"a\0b c"s, true, {"a"}},  // a C string ends at the NUL
    {"\"a\0\" b"s, false, {}},
};

TEST(InlineSplit, MatchesSdsSplitArgs) {
  for (const SplitCase& c : kCases) {
    bool ok = false;
    std::vector<std::string> args = split(c.line, ok);
    EXPECT_EQ(ok, c.ok) << "line: " << c.line;
    if (c.ok) {
      EXPECT_EQ(args, c.args) << "line: " << c.line;
    }
  }
}

TEST(InlineSplit, AppendsAfterExistingBytesAndRestoresOnFailure) {
  std::string bytes = "xyz";
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans = {{0, 3}};
  ASSERT_TRUE(split_inline_args("ab c", bytes, spans));
  EXPECT_EQ(bytes, "xyzabc");
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[1], (std::pair<std::uint32_t, std::uint32_t>{3, 2}));
  EXPECT_EQ(spans[2], (std::pair<std::uint32_t, std::uint32_t>{5, 1}));
  EXPECT_FALSE(split_inline_args("d \"e", bytes, spans));
  EXPECT_EQ(bytes, "xyzabc");
  EXPECT_EQ(spans.size(), 3u);
}

}  // namespace
}  // namespace funnel::resp
