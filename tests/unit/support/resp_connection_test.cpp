// Tests of the RespConnection fixture (tests/support) against a real redis-server: commands,
// RESP3, exact reply bytes, timeouts and closes.
#include "support/resp_connection.hpp"

#include <gtest/gtest.h>

#include "support/redis_server.hpp"

namespace funnel::test {
namespace {

using resp::ValueType;

class RespConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { redis_ = RedisServer::start(); }
  static void TearDownTestSuite() { redis_.reset(); }
  static std::unique_ptr<RedisServer> redis_;
};
std::unique_ptr<RedisServer> RespConnectionTest::redis_;

TEST(EncodeCommand, IsMultibulk) {
  EXPECT_EQ(encode_command({"SET", "k", ""}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
}

TEST(Printable, EscapesControlBytes) {
  EXPECT_EQ(printable("+OK\r\n\x01"), "+OK\\r\\n\\x01");
}

TEST_F(RespConnectionTest, SetAndGet) {
  RespConnection conn(redis_->port());
  auto ok = conn.command({"SET", "greeting", "hello world"});
  EXPECT_EQ(ok.type, ValueType::kSimpleString);
  EXPECT_EQ(ok.str, "OK");
  auto value = conn.command({"GET", "greeting"});
  EXPECT_EQ(value.type, ValueType::kBulk);
  EXPECT_EQ(value.str, "hello world");
  EXPECT_TRUE(conn.command({"GET", "no-such-key"}).is_null());
  auto error = conn.command({"INCR", "greeting"});
  EXPECT_TRUE(error.is_error());
}

TEST_F(RespConnectionTest, Resp3ViaHello) {
  RespConnection conn(redis_->port());
  auto hello = conn.command({"HELLO", "3"});
  ASSERT_EQ(hello.type, ValueType::kMap);
  ASSERT_NE(hello.find("proto"), nullptr);
  EXPECT_EQ(hello.find("proto")->integer, 3);
  conn.command({"DEL", "h"});
  conn.command({"HSET", "h", "f", "v"});
  auto map = conn.command({"HGETALL", "h"});
  EXPECT_EQ(map.type, ValueType::kMap);
  ASSERT_EQ(map.elems.size(), 2u);
  EXPECT_EQ(map.elems[1].str, "v");
  EXPECT_EQ(conn.command({"GET", "no-such-key"}).type, ValueType::kNull);
}

TEST_F(RespConnectionTest, RawRepliesArePipelinedBytes) {
  RespConnection conn(redis_->port());
  conn.send_raw("PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(conn.read_raw_reply(), "+PONG\r\n");
  EXPECT_EQ(conn.read_raw_reply(), "$3\r\na\r\n\r\n");
  EXPECT_EQ(conn.read_value().str, "PONG");
}

TEST_F(RespConnectionTest, ReadTimesOutWithAClearMessage) {
  RespConnection conn(redis_->port(), std::chrono::milliseconds(100));
  try {
    conn.read_value();
    FAIL() << "expected a timeout";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no complete reply within 100 ms"), std::string::npos)
        << e.what();
  }
}

TEST_F(RespConnectionTest, DetectsAClose) {
  RespConnection conn(redis_->port());
  EXPECT_FALSE(conn.closed_by_peer(std::chrono::milliseconds(50)));
  conn.send_command({"QUIT"});
  EXPECT_TRUE(conn.closed_by_peer());
  EXPECT_EQ(conn.buffered(), "+OK\r\n") << "bytes before the close are kept";
  EXPECT_EQ(conn.read_value().str, "OK");
  EXPECT_THROW(conn.read_value(), std::runtime_error);
}

TEST(RespConnection, ConnectRefusedThrows) {
  auto redis = RedisServer::start();
  std::uint16_t port = redis->port();
  redis->stop();
  EXPECT_THROW(RespConnection conn(port), std::runtime_error);
}

}  // namespace
}  // namespace funnel::test
