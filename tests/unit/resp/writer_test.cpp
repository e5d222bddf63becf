// ReplyWriter, byte for byte against what redis-server 7.0.15 sent for the same replies (captured
// with printf ... | nc | od -c; the command that produced each is noted).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "resp/writer.hpp"

namespace funnel::resp {
namespace {

struct WriterCase {
  std::string name;
  std::function<void(ReplyWriter&)> write;
  std::string resp2;
  std::string resp3;
};

std::string written(const WriterCase& c, Protocol protocol) {
  std::string out = "prefix|";  // the writer appends, never overwrites
  ReplyWriter writer(out, protocol);
  c.write(writer);
  return out.substr(7);
}

constexpr double kInf = std::numeric_limits<double>::infinity();

const std::vector<WriterCase> kCases = {
    {"ok", [](ReplyWriter& w) { w.ok(); }, "+OK\r\n", "+OK\r\n"},
    {"pong", [](ReplyWriter& w) { w.simple_string("PONG"); }, "+PONG\r\n", "+PONG\r\n"},
    {"empty simple string", [](ReplyWriter& w) { w.simple_string(""); }, "+\r\n", "+\r\n"},
    {"CR and LF at the ends", [](ReplyWriter& w) { w.error("\nERR x\r"); }, "- ERR x \r\n",
     "- ERR x \r\n"},
    {"error", [](ReplyWriter& w) { w.error("ERR Protocol error: invalid bulk length"); },
     "-ERR Protocol error: invalid bulk length\r\n",
     "-ERR Protocol error: invalid bulk length\r\n"},
    // Redis: "*1\r\n\r\n" -> "-ERR Protocol error: expected '$', got ' '".
    {"error with CR", [](ReplyWriter& w) { w.error("ERR Protocol error: expected '$', got '\r'"); },
     "-ERR Protocol error: expected '$', got ' '\r\n",
     "-ERR Protocol error: expected '$', got ' '\r\n"},
    {"error with LF", [](ReplyWriter& w) { w.error("ERR a\nb\r\nc"); }, "-ERR a b  c\r\n",
     "-ERR a b  c\r\n"},
    {"error with dash", [](ReplyWriter& w) { w.error("-NOAUTH Authentication required."); },
     "-NOAUTH Authentication required.\r\n", "-NOAUTH Authentication required.\r\n"},
    {"simple with LF", [](ReplyWriter& w) { w.simple_string("a\r\nb"); }, "+a  b\r\n", "+a  b\r\n"},
    {"integer", [](ReplyWriter& w) { w.integer(32); }, ":32\r\n", ":32\r\n"},
    {"negative integer", [](ReplyWriter& w) { w.integer(INT64_MIN); }, ":-9223372036854775808\r\n",
     ":-9223372036854775808\r\n"},
    {"bulk", [](ReplyWriter& w) { w.bulk("7.0.15"); }, "$6\r\n7.0.15\r\n", "$6\r\n7.0.15\r\n"},
    {"binary bulk", [](ReplyWriter& w) { w.bulk(std::string_view("a\r\n\0", 4)); },
     std::string("$4\r\na\r\n\0\r\n", 10), std::string("$4\r\na\r\n\0\r\n", 10)},
    {"empty bulk", [](ReplyWriter& w) { w.bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n"},
    // GET nokey
    {"null", [](ReplyWriter& w) { w.null(); }, "$-1\r\n", "_\r\n"},
    // BLPOP nolist 0.01
    {"null array", [](ReplyWriter& w) { w.null_array(); }, "*-1\r\n", "_\r\n"},
    {"array",
     [](ReplyWriter& w) {
       w.array_header(2);
       w.bulk("a");
       w.integer(1);
     },
     "*2\r\n$1\r\na\r\n:1\r\n", "*2\r\n$1\r\na\r\n:1\r\n"},
    {"empty array", [](ReplyWriter& w) { w.array_header(0); }, "*0\r\n", "*0\r\n"},
    // HELLO's reply (first pair), HGETALL
    {"map",
     [](ReplyWriter& w) {
       w.map_header(1);
       w.bulk("proto");
       w.integer(3);
     },
     "*2\r\n$5\r\nproto\r\n:3\r\n", "%1\r\n$5\r\nproto\r\n:3\r\n"},
    // DEBUG PROTOCOL set
    {"set", [](ReplyWriter& w) { w.set_header(3); }, "*3\r\n", "~3\r\n"},
    {"push", [](ReplyWriter& w) { w.push_header(3); }, "*3\r\n", ">3\r\n"},
    // DEBUG PROTOCOL true / SISMEMBER
    {"true", [](ReplyWriter& w) { w.boolean(true); }, ":1\r\n", "#t\r\n"},
    {"false", [](ReplyWriter& w) { w.boolean(false); }, ":0\r\n", "#f\r\n"},
    // ZADD z 1.1 a ...; ZSCORE z a
    {"double", [](ReplyWriter& w) { w.double_value(1.1); }, "$18\r\n1.1000000000000001\r\n",
     ",1.1000000000000001\r\n"},
    {"double integral", [](ReplyWriter& w) { w.double_value(3); }, "$1\r\n3\r\n", ",3\r\n"},
    {"double 0.1", [](ReplyWriter& w) { w.double_value(0.1); }, "$19\r\n0.10000000000000001\r\n",
     ",0.10000000000000001\r\n"},
    {"double 1e100", [](ReplyWriter& w) { w.double_value(1e100); }, "$6\r\n1e+100\r\n",
     ",1e+100\r\n"},
    {"double large", [](ReplyWriter& w) { w.double_value(123456789012345678.0); },
     "$22\r\n1.2345678901234568e+17\r\n", ",1.2345678901234568e+17\r\n"},
    // ZSCORE on a skiplist member added with -0.0
    {"double minus zero", [](ReplyWriter& w) { w.double_value(-0.0); }, "$2\r\n-0\r\n", ",-0\r\n"},
    {"double inf", [](ReplyWriter& w) { w.double_value(kInf); }, "$3\r\ninf\r\n", ",inf\r\n"},
    {"double -inf", [](ReplyWriter& w) { w.double_value(-kInf); }, "$4\r\n-inf\r\n", ",-inf\r\n"},
    // DEBUG PROTOCOL verbatim
    {"verbatim", [](ReplyWriter& w) { w.verbatim("txt", "This is a verbatim\nstring"); },
     "$25\r\nThis is a verbatim\nstring\r\n", "=29\r\ntxt:This is a verbatim\nstring\r\n"},
    {"verbatim bad format", [](ReplyWriter& w) { w.verbatim("markdown", "x"); }, "$1\r\nx\r\n",
     "=5\r\ntxt:x\r\n"},
};

TEST(ReplyWriter, Resp2IsByteExact) {
  for (const WriterCase& c : kCases) EXPECT_EQ(written(c, Protocol::kResp2), c.resp2) << c.name;
}

TEST(ReplyWriter, Resp3IsByteExact) {
  for (const WriterCase& c : kCases) EXPECT_EQ(written(c, Protocol::kResp3), c.resp3) << c.name;
}

TEST(ReplyWriter, ReportsItsProtocol) {
  std::string out;
  EXPECT_EQ(ReplyWriter(out, Protocol::kResp2).protocol(), Protocol::kResp2);
  EXPECT_EQ(ReplyWriter(out, Protocol::kResp3).protocol(), Protocol::kResp3);
}

// Redis's own HELLO 3 reply, rebuilt with the writer.
TEST(ReplyWriter, Hello3Reply) {
  std::string out;
  ReplyWriter w(out, Protocol::kResp3);
  w.map_header(7);
  w.bulk("server");
  w.bulk("redis");
  w.bulk("version");
  w.bulk("7.0.15");
  w.bulk("proto");
  w.integer(3);
  w.bulk("id");
  w.integer(32);
  w.bulk("mode");
  w.bulk("standalone");
  w.bulk("role");
  w.bulk("master");
  w.bulk("modules");
  w.array_header(0);
  EXPECT_EQ(out,
            "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto"
            "\r\n:3\r\n$2\r\nid\r\n:32\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\n"
            "master\r\n$7\r\nmodules\r\n*0\r\n");
}

}  // namespace
}  // namespace funnel::resp
