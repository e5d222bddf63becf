// Byte-exact checks of the Redis errors classify() produces. Every expected text below was
// observed from redis-server 7.0.15 for the same request (the reply minus '-' and CRLF).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/classify.hpp"
#include "request_helpers.hpp"

namespace funnel::command {
namespace {

using namespace std::string_literals;

std::string unknown(const std::string& name, const std::string& args) {
  return "ERR unknown command '" + name + "', with args beginning with: " + args;
}
std::string arity(const std::string& name) {
  return "ERR wrong number of arguments for '" + name + "' command";
}
std::string quoted(char c, std::size_t n) {
  return "'" + std::string(n, c) + "' ";
}

struct ErrorCase {
  std::vector<std::string> args;
  std::string expected;
};

std::vector<ErrorCase> observed_cases() {
  std::string ten_args;
  for (int i = 0; i < 10; ++i) ten_args += "'abcdefghij' ";
  std::vector<std::string> fifty_args(51, "abcdefghij");
  fifty_args[0] = "foo";
  return {
      // CR and LF become spaces; the quoted list and every quote keep a trailing space.
      {{"foo", "a b", "c\r\nd"}, unknown("foo", "'a b' 'c  d' ")},
      {{"foo\r\nbar"}, unknown("foo  bar", "")},
      {{"foo\r", "\n"}, unknown("foo ", "' ' ")},
      {{"foo"}, unknown("foo", "")},
      {{""}, unknown("", "")},
      {{"foo", "", "x"}, unknown("foo", "'' 'x' ")},
      {{"foo", "it's", "x"}, unknown("foo", "'it's' 'x' ")},
      {{"FOO", "x\xffy"}, unknown("FOO", "'x\xffy' ")},
      // C strings: a NUL byte ends the name or argument.
      {{"foo\0bar"s, "x\0y"s, "z"}, unknown("foo", "'x' 'z' ")},
      // %.128s for the name; arguments while the list is under 128 bytes, the last one cut.
      {{std::string(200, 'n'), std::string(200, 'a')},
       unknown(std::string(128, 'n'), quoted('a', 128))},
      {{"foo", std::string(100, 'a'), std::string(40, 'b'), "c"},
       unknown("foo", quoted('a', 100) + quoted('b', 25))},
      {{"foo", std::string(125, 'a'), "b"}, unknown("foo", quoted('a', 125))},
      {{"foo", std::string(127, 'a'), "b"}, unknown("foo", quoted('a', 127))},
      {{"foo", std::string(120, 'a'), "bcdefghijk"}, unknown("foo", quoted('a', 120) + "'bcdef' ")},
      {fifty_args, unknown("foo", ten_args)},
      // Unknown subcommands: %.128s, container upper-cased, same CR/LF and NUL rules.
      {{"config", "x\ny"}, "ERR unknown subcommand 'x y'. Try CONFIG HELP."},
      {{"config", std::string(200, 's')},
       "ERR unknown subcommand '" + std::string(128, 's') + "'. Try CONFIG HELP."},
      {{"object", std::string(130, 'x')},
       "ERR unknown subcommand '" + std::string(128, 'x') + "'. Try OBJECT HELP."},
      {{"ObJeCt", "nope"}, "ERR unknown subcommand 'nope'. Try OBJECT HELP."},
      {{"command", "nope"}, "ERR unknown subcommand 'nope'. Try COMMAND HELP."},
      {{"config", "a\0b"s}, "ERR unknown subcommand 'a'. Try CONFIG HELP."},
      {{"object", "\r\n"}, "ERR unknown subcommand '  '. Try OBJECT HELP."},
      // Arity: the resolved command's lower-case full name.
      {{"CoNfIg"}, arity("config")},
      {{"config", "GET"}, arity("config|get")},
      {{"Client", "TrAcKiNg"}, arity("client|tracking")},
      {{"XINFO", "stream"}, arity("xinfo|stream")},
      {{"get", "a", "b"}, arity("get")},
      {{"echo"}, arity("echo")},
      {{"auth"}, arity("auth")},
      {{"client"}, arity("client")},
      {{"multi", "x"}, arity("multi")},
  };
}

TEST(ClassifyErrors, MatchRedis70ByteForByte) {
  const auto table = CommandTable::builtin();
  for (const ErrorCase& c : observed_cases()) {
    test::ParsedRequest request(c.args);
    ASSERT_EQ(request.status(), resp::ParseStatus::kComplete) << c.expected;
    Classification out;
    classify(*table, request.get(), out);
    EXPECT_EQ(out.route, Route::kReject) << c.expected;
    EXPECT_EQ(out.error, c.expected);
  }
}

TEST(ClassifyErrors, HelpersProduceTheSameTexts) {
  test::ParsedRequest request({"foo", "a b"});
  EXPECT_EQ(unknown_command_error(request.get()), unknown("foo", "'a b' "));
  EXPECT_EQ(wrong_arity_error("config|get"), arity("config|get"));
  EXPECT_EQ(unknown_subcommand_error("config", "x"),
            "ERR unknown subcommand 'x'. Try CONFIG HELP.");
}

}  // namespace
}  // namespace funnel::command
