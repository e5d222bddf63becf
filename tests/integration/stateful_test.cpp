// Stateful commands through Funnel against a real redis-server: MULTI … EXEC held by Funnel and
// written as one block, and the lane barrier that keeps a client's order across backend links.
// Replies are compared byte for byte with the same sequence sent to redis-server directly.
#include <string>
#include <vector>

#include "harness.hpp"

namespace funnel::test {
namespace {

using Commands = std::vector<std::vector<std::string>>;

class StatefulTest : public ProxyFixture {
 protected:
  // Sends every command at once (pipelined, as clients send MULTI … EXEC) and reads the replies.
  static std::vector<std::string> run(std::uint16_t port, const Commands& commands) {
    RespConnection c(port);
    std::string batch;
    for (const auto& command : commands) batch += encode_command(command);
    c.send_raw(batch);
    std::vector<std::string> replies;
    for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(c.read_raw_reply());
    return replies;
  }
  // Runs the sequence on Funnel and then on a flushed backend directly: same bytes expected.
  // Replies before `first` are not compared (HELLO's connection id differs).
  void expect_same_as_direct(const Commands& commands, std::size_t first = 0) {
    RespConnection(redis_->port()).command({"FLUSHALL"});
    const std::vector<std::string> proxied = run(funnel_->port(), commands);
    RespConnection(redis_->port()).command({"FLUSHALL"});
    const std::vector<std::string> direct = run(redis_->port(), commands);
    ASSERT_EQ(proxied.size(), direct.size());
    for (std::size_t i = first; i < direct.size(); ++i) {
      EXPECT_EQ(printable(proxied[i]), printable(direct[i]))
          << "reply " << i << " to " << commands[i][0];
    }
  }
};

TEST_F(StatefulTest, MultiExecRepliesAreByteIdenticalToDirect) {
  start({"--workers", "2", "--connections-per-node", "1"});  // one worker hands its block off
  for (int round = 0; round < 4; ++round) {                  // clients land on both workers
    expect_same_as_direct({{"SET", "k", "1"},
                           {"MULTI"},
                           {"INCR", "k"},
                           {"PING"},
                           {"ECHO", "hi"},
                           {"LPUSH", "k", "x"},       // runtime error: stays in EXEC's array
                           {"BLPOP", "nolist", "0"},  // does not block inside MULTI
                           {"UNWATCH"},
                           {"GET", "k"},
                           {"EXEC"},
                           {"GET", "k"}});
  }
}

TEST_F(StatefulTest, TransactionErrorsMatchRedis) {
  start();
  expect_same_as_direct({{"EXEC"},          {"DISCARD"},       {"MULTI"},
                         {"MULTI"},  // nested: an error, the transaction goes on
                         {"WATCH", "k"},    {"SET", "k", "v"}, {"EXEC"},
                         {"MULTI"},         {"SET", "k", "w"}, {"NOSUCHCOMMAND", "a"},
                         {"SET", "k"},      {"EXEC"},  // EXECABORT
                         {"GET", "k"},      {"MULTI"},         {"SET", "k", "z"},
                         {"SAVE"},          {"EXEC"},          {"MULTI"},
                         {"SET", "k", "d"}, {"DISCARD"},       {"MULTI"},
                         {"SET", "k", "r"}, {"RESET"},         {"EXEC"},
                         {"GET", "k"}});
}

TEST_F(StatefulTest, Resp3TransactionRepliesMatchRedis) {
  start();
  expect_same_as_direct(
      {{"HELLO", "3"}, {"MULTI"}, {"HSET", "h", "a", "1"}, {"HGETALL", "h"}, {"PING"}, {"EXEC"}},
      1);
}

TEST_F(StatefulTest, StateChangingCommandsInsideMultiAreRefusedAndAbortExec) {
  start();
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"MULTI"}).str, "OK");
  EXPECT_EQ(c.command({"SET", "k", "1"}).str, "QUEUED");
  const resp::Value select = c.command({"SELECT", "1"});
  ASSERT_TRUE(select.is_error());
  EXPECT_EQ(select.str.rfind("ERR funnel: SELECT inside MULTI is not supported", 0), 0u)
      << select.str;
  EXPECT_EQ(c.command({"EXEC"}).str, "EXECABORT Transaction discarded because of previous errors.");
  EXPECT_TRUE(RespConnection(redis_->port()).command({"GET", "k"}).is_null());
  EXPECT_EQ(c.command({"PING"}).str, "PONG");  // the connection goes on normally
}

TEST_F(StatefulTest, ClientKilledMidMultiLeavesNothingApplied) {
  start();
  {
    RespConnection c(funnel_->port());
    c.send_raw(encode_command({"SET", "before", "1"}) + encode_command({"MULTI"}) +
               encode_command({"SET", "a", "1"}) + encode_command({"INCR", "b"}));
    EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
    EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
    EXPECT_EQ(c.read_raw_reply(), "+QUEUED\r\n");
    EXPECT_EQ(c.read_raw_reply(), "+QUEUED\r\n");
  }  // closed without EXEC
  RespConnection other(funnel_->port());
  EXPECT_EQ(other.command({"GET", "before"}).str, "1");  // after the close, on the same link
  RespConnection direct(redis_->port());
  EXPECT_TRUE(direct.command({"GET", "a"}).is_null());
  EXPECT_TRUE(direct.command({"GET", "b"}).is_null());
}

TEST_F(StatefulTest, TransactionsFromManyClientsStayWhole) {
  start({"--workers", "2", "--connections-per-node", "1"});
  constexpr int kClients = 8;
  constexpr int kRounds = 50;
  std::vector<std::unique_ptr<RespConnection>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(std::make_unique<RespConnection>(funnel_->port()));
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kClients; ++i) {
      // Each transaction increments two counters; if blocks interleaved, a reply would show it.
      clients[i]->send_raw(encode_command({"MULTI"}) + encode_command({"INCR", "x"}) +
                           encode_command({"INCR", "y"}) + encode_command({"MGET", "x", "y"}) +
                           encode_command({"EXEC"}));
    }
    for (int i = 0; i < kClients; ++i) {
      for (int r = 0; r < 4; ++r) clients[i]->read_raw_reply();
      const resp::Value exec = clients[i]->read_value();
      ASSERT_EQ(exec.elems.size(), 3u);
      const resp::Value& mget = exec.elems[2];
      ASSERT_EQ(mget.elems.size(), 2u);
      EXPECT_EQ(mget.elems[0].str, mget.elems[1].str);  // nothing ran in between
    }
  }
  EXPECT_EQ(RespConnection(redis_->port()).command({"GET", "x"}).str,
            std::to_string(kClients * kRounds));
}

}  // namespace
}  // namespace funnel::test
