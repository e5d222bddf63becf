// Tests of the FakeBackend fixture (tests/support): built-in handshake answers (compared with a
// real redis-server), scripted replies, delays that keep per-connection order, hangs and closes.
#include "support/fake_backend.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "support/net.hpp"
#include "support/redis_server.hpp"
#include "support/resp_connection.hpp"
#include "support/wait.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;
using Action = FakeBackend::Action;
using resp::ValueType;

// Replies that differ only in the connection id ("id" in HELLO) count as equal.
std::string without_id(const std::string& reply) {
  return std::regex_replace(reply, std::regex("\\$2\r\nid\r\n:[0-9]+\r\n"), "$2\r\nid\r\n:N\r\n");
}

// A handler for the tests below: GET -> "bar", SLOW -> late, HANG, BYE, SPLIT, THROW.
Action script(const std::vector<std::string>& args, int) {
  const std::string& name = args[0];
  if (name == "GET") return Action::reply("$3\r\nbar\r\n");
  if (name == "SLOW") return Action::reply_after(400ms, "+slow\r\n");
  if (name == "FAST") return Action::reply("+fast\r\n");
  if (name == "HANG") return Action::hang();
  if (name == "BYE") return Action::reply("+bye\r\n").then(Action::close());
  if (name == "SPLIT") return Action::reply_split("$5\r\nhello\r\n", 3, 300ms);
  if (name == "THROW") throw std::runtime_error("boom");
  return Action::default_reply();
}

TEST(FakeBackend, HandshakeRepliesMatchRedis) {
  auto redis = RedisServer::start();
  auto fake = FakeBackend::start();
  const std::vector<std::vector<std::string>> commands = {{"HELLO", "2"},
                                                          {"HELLO", "3"},
                                                          {"HELLO", "3", "SETNAME", "funnel:x"},
                                                          {"HELLO"},
                                                          {"HELLO", "4"},
                                                          {"PING"},
                                                          {"PING", "hi"},
                                                          {"CLIENT", "SETNAME", "funnel:y"},
                                                          {"SELECT", "0"},
                                                          {"HELLO", "2"},
                                                          {"NOSUCHCOMMAND", "a", "b"},
                                                          {"NOSUCHCOMMAND"}};
  RespConnection real(redis->port());
  RespConnection fake_conn(fake->port());
  for (const auto& command : commands) {
    real.send_command(command);
    fake_conn.send_command(command);
    EXPECT_EQ(without_id(fake_conn.read_raw_reply()), without_id(real.read_raw_reply()))
        << "command: " << encode_command(command);
  }
}

TEST(FakeBackend, AnswersCommandAndInfoForTheHandshake) {
  auto fake = FakeBackend::start();
  RespConnection conn(fake->port());
  EXPECT_EQ(conn.command({"COMMAND"}).elems.size(), 0u);
  auto info = conn.command({"INFO"});
  EXPECT_EQ(info.type, ValueType::kBulk);
  EXPECT_NE(info.str.find("redis_version:7.0.15"), std::string::npos);
  conn.command({"HELLO", "3"});
  auto info3 = conn.command({"INFO", "server"});
  EXPECT_EQ(info3.type, ValueType::kVerbatim);
  EXPECT_NE(info3.str.find("redis_version:7.0.15"), std::string::npos);
  EXPECT_EQ(info3.str.rfind("txt:", 0), std::string::npos) << "the format is not part of str";
}

TEST(FakeBackend, ScriptedReplyAndRecordedRequests) {
  auto fake = FakeBackend::start(script);
  RespConnection conn(fake->port());
  EXPECT_EQ(conn.command({"PING"}).str, "PONG");
  EXPECT_EQ(conn.command({"GET", "foo"}).str, "bar");
  auto requests = fake->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].connection, 0);
  EXPECT_EQ(requests[1].args, (std::vector<std::string>{"GET", "foo"}));
  EXPECT_EQ(fake->connections_accepted(), 1);
}

TEST(FakeBackend, DefaultReplyIsUnknownCommand) {
  auto fake = FakeBackend::start();
  RespConnection conn(fake->port());
  EXPECT_EQ(conn.command({"GET", "k"}).str,
            "ERR unknown command 'GET', with args beginning with: 'k' ");
}

TEST(FakeBackend, DelayedReplyHoldsBackLaterRepliesOnItsConnectionOnly) {
  auto fake = FakeBackend::start(script);
  RespConnection slow(fake->port());
  RespConnection other(fake->port());
  auto start = std::chrono::steady_clock::now();
  slow.send_raw(encode_command({"SLOW"}) + encode_command({"FAST"}));
  ASSERT_TRUE(fake->wait_for_requests(2));
  EXPECT_EQ(other.command({"FAST"}).str, "fast");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms) << "other connections not held";
  EXPECT_EQ(slow.read_value().str, "slow");
  EXPECT_EQ(slow.read_value().str, "fast");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 400ms);
}

TEST(FakeBackend, HangNeverReplies) {
  auto fake = FakeBackend::start(script);
  RespConnection conn(fake->port(), 200ms);
  conn.send_raw(encode_command({"HANG"}) + encode_command({"FAST"}));
  EXPECT_THROW(conn.read_value(), std::runtime_error);
  EXPECT_FALSE(conn.closed_by_peer(50ms));
  EXPECT_EQ(fake->request_count(), 2u);
}

TEST(FakeBackend, CloseAfterReply) {
  auto fake = FakeBackend::start(script);
  RespConnection conn(fake->port());
  conn.send_raw(encode_command({"BYE"}) + encode_command({"FAST"}));
  EXPECT_EQ(conn.read_value().str, "bye");
  EXPECT_TRUE(conn.closed_by_peer());
  EXPECT_EQ(conn.buffered(), "") << "nothing after the close step is sent";
  EXPECT_TRUE(wait_until([&] { return fake->open_connections() == 0; }));
}

TEST(FakeBackend, SplitReplyArrivesInTwoParts) {
  auto fake = FakeBackend::start(script);
  RespConnection conn(fake->port());
  conn.send_command({"SPLIT"});
  // The first 3 bytes come at once, the rest 300 ms later.
  EXPECT_TRUE(
      wait_until([&] { return !conn.closed_by_peer(1ms) && conn.buffered().size() >= 3; }, 250ms));
  EXPECT_EQ(conn.buffered(), "$5\r");
  EXPECT_EQ(conn.read_raw_reply(), "$5\r\nhello\r\n");
}

TEST(FakeBackend, HandlerExceptionBecomesAnErrorReply) {
  auto fake = FakeBackend::start(script);
  RespConnection conn(fake->port());
  auto reply = conn.command({"THROW"});
  ASSERT_TRUE(reply.is_error());
  EXPECT_NE(reply.str.find("boom"), std::string::npos);
}

TEST(FakeBackend, CountsConnectionsAndTheirNames) {
  auto fake = FakeBackend::start(script);
  RespConnection first(fake->port());
  RespConnection second(fake->port());
  ASSERT_TRUE(fake->wait_for_connections(2));
  EXPECT_EQ(second.command({"CLIENT", "SETNAME", "funnel:shared:resp2:db0:1"}).str, "OK");
  EXPECT_EQ(first.command({"HELLO", "3", "SETNAME", "funnel:pinned:1"}).type, ValueType::kMap);
  EXPECT_EQ(fake->client_names(),
            (std::vector<std::string>{"funnel:pinned:1", "funnel:shared:resp2:db0:1"}));
  EXPECT_EQ(fake->open_connections(), 2);
}

TEST(FakeBackend, PasswordIsRequiredWhenSet) {
  FakeBackend::Options options;
  options.password = "pw";
  auto fake = FakeBackend::start(script, options);
  RespConnection conn(fake->port());
  EXPECT_EQ(conn.command({"GET", "k"}).str, "NOAUTH Authentication required.");
  EXPECT_EQ(conn.command({"AUTH", "wrong"}).str.rfind("WRONGPASS", 0), 0u);
  EXPECT_EQ(conn.command({"HELLO", "3", "AUTH", "default", "pw"}).type, ValueType::kMap);
  EXPECT_EQ(conn.command({"GET", "k"}).str, "bar");
}

TEST(FakeBackend, HandlerSeesHandshakeWhenAsked) {
  FakeBackend::Options options;
  options.answer_handshake = false;
  auto fake = FakeBackend::start(
      [](const std::vector<std::string>& args, int) {
        return args[0] == "HELLO" ? Action::reply("-NOPROTO sorry\r\n") : Action::default_reply();
      },
      options);
  RespConnection conn(fake->port());
  EXPECT_EQ(conn.command({"HELLO", "3"}).str, "NOPROTO sorry");
  EXPECT_EQ(conn.command({"PING"}).str, "PONG") << "default_reply still gives the built-in";
}

TEST(FakeBackend, CloseConnectionsDropsClientsButKeepsListening) {
  auto fake = FakeBackend::start(script);
  RespConnection conn(fake->port());
  EXPECT_EQ(conn.command({"PING"}).str, "PONG");
  fake->close_connections();
  EXPECT_TRUE(conn.closed_by_peer());
  RespConnection again(fake->port());
  EXPECT_EQ(again.command({"PING"}).str, "PONG");
  EXPECT_EQ(fake->connections_accepted(), 2);
}

TEST(FakeBackend, ProtocolErrorIsAnsweredThenClosed) {
  auto fake = FakeBackend::start(script);
  RespConnection conn(fake->port());
  conn.send_raw("*x\r\n");
  auto reply = conn.read_value();
  EXPECT_EQ(reply.str.rfind("ERR Protocol error: ", 0), 0u) << reply.str;
  EXPECT_TRUE(conn.closed_by_peer());
}

TEST(FakeBackend, StopClosesEverything) {
  auto fake = FakeBackend::start(script);
  RespConnection conn(fake->port());
  conn.send_command({"HANG"});
  ASSERT_TRUE(fake->wait_for_requests(1));
  fake->stop();
  EXPECT_TRUE(conn.closed_by_peer());
  EXPECT_FALSE(port_accepts(fake->port()));
  fake->stop();  // idempotent
}

}  // namespace
}  // namespace funnel::test
