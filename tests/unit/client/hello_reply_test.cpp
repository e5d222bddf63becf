// HelloReply: the prebuilt HELLO reply is byte for byte what redis-server 7.0.15 answers (its
// replies to HELLO 2 and HELLO 3 from client id 3 are the vectors), for any id, and follows a
// change of backend version.
#include "client/hello_reply.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace funnel::client {
namespace {

using resp::Protocol;

// redis-server 7.0.15, `HELLO 3` then `HELLO 2` from its client id 3.
constexpr std::string_view kRedisHello3 =
    "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
    "$2\r\nid\r\n:3\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$7\r\nmodules\r\n*0\r\n";
constexpr std::string_view kRedisHello2 =
    "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n"
    "$2\r\nid\r\n:3\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$7\r\nmodules\r\n*0\r\n";

std::string hello(HelloReply& reply, Protocol protocol, std::string_view version,
                  std::uint64_t id) {
  std::string out = "before";  // appended to, as ClientSession's reply buffer is
  reply.write(out, protocol, version, id);
  return out.substr(6);
}

std::string replace_id(std::string_view bytes, std::string_view id) {
  std::string s(bytes);
  const std::size_t at = s.find("$2\r\nid\r\n:3\r\n") + 9;
  s.replace(at, 1, id);
  return s;
}

TEST(HelloReply, IsRedisOwnReplyInBothProtocols) {
  HelloReply reply;
  EXPECT_EQ(hello(reply, Protocol::kResp3, "7.0.15", 3), kRedisHello3);
  EXPECT_EQ(hello(reply, Protocol::kResp2, "7.0.15", 3), kRedisHello2);
  // Built once, reused: the same bytes the second time, in any order.
  EXPECT_EQ(hello(reply, Protocol::kResp3, "7.0.15", 3), kRedisHello3);
  EXPECT_EQ(hello(reply, Protocol::kResp2, "7.0.15", 3), kRedisHello2);
}

TEST(HelloReply, CarriesEachClientsId) {
  HelloReply reply;
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  struct Case {
    std::uint64_t id;
    std::string_view text;
  };
  for (const Case& c :
       {Case{0, "0"}, Case{7, "7"}, Case{1234567, "1234567"}, Case{max, "18446744073709551615"}}) {
    EXPECT_EQ(hello(reply, Protocol::kResp3, "7.0.15", c.id), replace_id(kRedisHello3, c.text))
        << c.id;
    EXPECT_EQ(hello(reply, Protocol::kResp2, "7.0.15", c.id), replace_id(kRedisHello2, c.text))
        << c.id;
  }
}

TEST(HelloReply, FollowsTheBackendVersion) {
  HelloReply reply;
  EXPECT_EQ(hello(reply, Protocol::kResp3, "7.0.15", 3), kRedisHello3);
  std::string expected(kRedisHello3);
  expected.replace(expected.find("$6\r\n7.0.15"), 10, "$5\r\n7.2.4");
  EXPECT_EQ(hello(reply, Protocol::kResp3, "7.2.4", 3), expected);
  EXPECT_EQ(hello(reply, Protocol::kResp3, "7.0.15", 3), kRedisHello3);
}

}  // namespace
}  // namespace funnel::client
