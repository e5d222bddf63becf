// Stateful commands through Funnel against a real redis-server: MULTI … EXEC held by Funnel and
// written as one block, and the lane barrier that keeps a client's order across backend links.
// Replies are compared byte for byte with the same sequence sent to redis-server directly.
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
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
  // SAVE (refused inside MULTI by Redis) is on Funnel's default deny list: allow it here.
  start({"--deny-commands", "@default -save"});
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

TEST_F(StatefulTest, WatchSucceedsWhenUntouchedAndExecIsNilOnConflict) {
  start();
  RespConnection c(funnel_->port());
  RespConnection other(funnel_->port());
  // Ordering across lanes: the SET goes on the shared link, WATCH and GET on the pinned one.
  c.send_raw(encode_command({"SET", "w", "1"}) + encode_command({"WATCH", "w"}) +
             encode_command({"GET", "w"}));
  EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_raw_reply(), "$1\r\n1\r\n");
  EXPECT_EQ(count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:resp2:db0:"), 1u);
  c.send_raw(encode_command({"MULTI"}) + encode_command({"SET", "w", "2"}) +
             encode_command({"PING"}) + encode_command({"EXEC"}));
  EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_raw_reply(), "+QUEUED\r\n");
  EXPECT_EQ(c.read_raw_reply(), "+QUEUED\r\n");
  EXPECT_EQ(c.read_raw_reply(), "*2\r\n+OK\r\n+PONG\r\n");
  // A conflicting write by another client between WATCH and EXEC: EXEC answers nil.
  EXPECT_EQ(c.command({"WATCH", "w"}).str, "OK");
  EXPECT_EQ(other.command({"SET", "w", "other"}).str, "OK");
  c.send_raw(encode_command({"MULTI"}) + encode_command({"SET", "w", "3"}) +
             encode_command({"EXEC"}));
  EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_raw_reply(), "+QUEUED\r\n");
  EXPECT_EQ(c.read_raw_reply(), "*-1\r\n");
  EXPECT_EQ(other.command({"GET", "w"}).str, "other");
  // UNWATCH ends the pin; the link goes back clean and is reused for the next WATCH.
  EXPECT_EQ(c.command({"WATCH", "w"}).str, "OK");
  EXPECT_EQ(c.command({"UNWATCH"}).str, "OK");
  EXPECT_EQ(c.command({"GET", "w"}).str, "other");
  RespConnection direct(redis_->port());
  EXPECT_TRUE(wait_until([&] {
    return direct.command({"CLIENT", "LIST"}).str.find("name=funnel:pinned:resp2:db0:0 ") !=
           std::string::npos;
  }));
  EXPECT_EQ(count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:"), 1u);
}

TEST_F(StatefulTest, WatchFromAResp3ClientKeepsItsProtocol) {
  start();
  expect_same_as_direct({{"HELLO", "3"},
                         {"SET", "k", "1"},
                         {"WATCH", "k"},
                         {"HGETALL", "nohash"},
                         {"MULTI"},
                         {"HSET", "h", "a", "1"},
                         {"HGETALL", "h"},
                         {"EXEC"},
                         {"HGETALL", "h"}},
                        1);
}

TEST_F(StatefulTest, BlpopIsServedWhenAnotherClientPushes) {
  start({"--workers", "2"});
  RespConnection blocked(funnel_->port());
  RespConnection pusher(funnel_->port());
  blocked.send_command({"BLPOP", "queue", "0"});
  EXPECT_TRUE(wait_until([&] {
    return RespConnection(redis_->port())
               .command({"INFO", "clients"})
               .str.find("blocked_clients:1") != std::string::npos;
  }));
  EXPECT_EQ(pusher.command({"RPUSH", "queue", "job"}).integer, 1);
  EXPECT_EQ(blocked.read_raw_reply(), "*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n");
  EXPECT_EQ(blocked.command({"PING"}).str, "PONG");
  // Byte-identical to direct for the other blocking commands that find data at once.
  expect_same_as_direct({{"RPUSH", "l", "a", "b", "c"},
                         {"ZADD", "z", "1", "m"},
                         {"XADD", "s", "1-1", "f", "v"},
                         {"BRPOP", "l", "1"},
                         {"BLMOVE", "l", "l2", "LEFT", "RIGHT", "1"},
                         {"BRPOPLPUSH", "l", "l2", "1"},
                         {"BLMPOP", "1", "1", "l2", "LEFT", "COUNT", "2"},
                         {"BZPOPMIN", "z", "1"},
                         {"XREAD", "BLOCK", "100", "STREAMS", "s", "0"},
                         {"GET", "x"}});
}

TEST_F(StatefulTest, BlockingTimeoutIsTheClientsAndLongerThanFunnels) {
  start({"--request-timeout-ms", "300"});
  RespConnection c(funnel_->port());
  const auto begin = std::chrono::steady_clock::now();
  c.send_command({"BLPOP", "nothing", "1"});
  EXPECT_EQ(c.read_raw_reply(), "*-1\r\n");  // Redis's own timeout reply, after 1 s
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(900));
  EXPECT_EQ(c.command({"SET", "after", "1"}).str, "OK");
}

TEST_F(StatefulTest, BlockedClientThatLeavesFreesItsPinnedLink) {
  start();
  {
    RespConnection blocked(funnel_->port());
    blocked.send_command({"BLPOP", "never", "0"});
    RespConnection direct(redis_->port());
    EXPECT_TRUE(wait_until([&] {
      return direct.command({"INFO", "clients"}).str.find("blocked_clients:1") != std::string::npos;
    }));
  }
  // The link was mid-block: it is closed, not handed on.
  EXPECT_TRUE(wait_until(
      [&] { return count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:") == 0; }));
  // Also when it had pipelined more behind the blocked command (its reading is paused then).
  {
    RespConnection blocked(funnel_->port());
    blocked.send_raw(encode_command({"BLPOP", "never", "0"}) + encode_command({"GET", "x"}));
    // Mid-block: Redis has the BLPOP (a blocking command may wait for its turn before it goes,
    // and a link that never carried it goes back to the pool clean).
    RespConnection direct(redis_->port());
    EXPECT_TRUE(wait_until([&] {
      return direct.command({"INFO", "clients"}).str.find("blocked_clients:1") != std::string::npos;
    }));
  }
  EXPECT_TRUE(wait_until(
      [&] { return count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:") == 0; }));
  RespConnection c(funnel_->port());
  EXPECT_TRUE(c.command({"BLPOP", "never", "0.1"}).is_null());
}

TEST_F(StatefulTest, ExhaustedPinnedPoolGivesAClearErrorAfterTheBorrowTimeout) {
  TempDir dir("funnel-pinned");
  const std::string config = dir.file("funnel.toml");
  std::ofstream(config) << "[backend]\nmax_pinned = 1\npinned_borrow_timeout_ms = 300\n";
  start({"--config", config, "--workers", "2"});
  RespConnection holder(funnel_->port());
  holder.send_command({"BLPOP", "never", "0"});
  EXPECT_TRUE(wait_until(
      [&] { return count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:") == 1; }));
  for (int i = 0; i < 2; ++i) {  // clients on both workers
    RespConnection waiter(funnel_->port());
    const auto begin = std::chrono::steady_clock::now();
    const resp::Value reply = waiter.command({"WATCH", "k"});
    ASSERT_TRUE(reply.is_error());
    EXPECT_EQ(reply.str.rfind("ERR funnel: no pinned backend connection free within 300 ms "
                              "(backend.max_pinned = 1",
                              0),
              0u)
        << reply.str;
    EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(250));
    EXPECT_EQ(waiter.command({"PING"}).str, "PONG");
  }
  EXPECT_EQ(count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:"), 1u);
  // Once the holder is served, a waiter (on any worker) gets the link.
  RespConnection waiter(funnel_->port());
  waiter.send_command({"WATCH", "k"});
  EXPECT_EQ(RespConnection(funnel_->port()).command({"RPUSH", "never", "x"}).integer, 1);
  EXPECT_EQ(holder.read_value().elems.size(), 2u);
  EXPECT_EQ(waiter.read_value().str, "OK");
}

TEST_F(StatefulTest, SelectServesEachDatabaseFromItsOwnPoolInOrder) {
  start({"--workers", "2", "--connections-per-node", "1"});
  // Lane changes inside one pipeline: db0 → db1 → db0, each reply in order, as direct.
  expect_same_as_direct({{"SET", "k", "zero"},
                         {"SELECT", "1"},
                         {"SET", "k", "one"},
                         {"GET", "k"},
                         {"MULTI"},
                         {"INCR", "n"},
                         {"GET", "k"},
                         {"EXEC"},
                         {"SELECT", "0"},
                         {"GET", "k"},
                         {"SELECT", "1"},
                         {"GET", "k"},
                         {"SELECT", "16"},
                         {"SELECT", "-1"},
                         {"SELECT", "x"},
                         {"GET", "n"}});
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"SELECT", "1"}).str, "OK");
  EXPECT_EQ(c.command({"SET", "only1", "v"}).str, "OK");
  EXPECT_NE(c.command({"CLIENT", "INFO"}).str.find(" db=1 "), std::string::npos);
  EXPECT_TRUE(RespConnection(funnel_->port()).command({"GET", "only1"}).is_null());  // db0
  RespConnection direct(redis_->port());
  EXPECT_EQ(direct.command({"SELECT", "1"}).str, "OK");
  EXPECT_EQ(direct.command({"GET", "only1"}).str, "v");
  const auto names = funnel_link_names(redis_->port());
  EXPECT_EQ(count_prefix(names, "funnel:shared:resp2:db1:"), 1u);  // connections_per_node
  EXPECT_TRUE(wait_until([&] {
    return direct.command({"CLIENT", "LIST"}).str.find("name=funnel:shared:resp2:db1:0 ") !=
           std::string::npos;
  }));
  EXPECT_NE(direct.command({"CLIENT", "LIST"}).str.find("db=1 "), std::string::npos);
  EXPECT_EQ(c.command({"RESET"}).str, "RESET");
  EXPECT_EQ(c.command({"GET", "only1"}).is_null(), true);  // back in database 0
}

TEST_F(StatefulTest, WatchAndBlockingCommandsRunInTheClientsDatabase) {
  start();
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"SELECT", "2"}).str, "OK");
  EXPECT_EQ(c.command({"SET", "w", "1"}).str, "OK");
  EXPECT_EQ(c.command({"WATCH", "w"}).str, "OK");
  EXPECT_EQ(c.command({"GET", "w"}).str, "1");
  EXPECT_EQ(c.command({"MULTI"}).str, "OK");
  EXPECT_EQ(c.command({"INCR", "w"}).str, "QUEUED");
  EXPECT_EQ(c.command({"EXEC"}).elems.at(0).integer, 2);
  EXPECT_EQ(c.command({"RPUSH", "q", "x"}).integer, 1);
  EXPECT_EQ(c.command({"BLPOP", "q", "1"}).elems.size(), 2u);
  RespConnection direct(redis_->port());
  EXPECT_EQ(direct.command({"SELECT", "2"}).str, "OK");
  EXPECT_EQ(direct.command({"GET", "w"}).str, "2");
  // The pinned link went back to database 0 when it was returned (RESET + handshake).
  RespConnection next(funnel_->port());
  EXPECT_EQ(next.command({"WATCH", "w"}).str, "OK");
  EXPECT_TRUE(next.command({"GET", "w"}).is_null());
}

TEST_F(StatefulTest, PinningOffRefusesWatchAndBlockingCommandsAtOnce) {
  start({"--max-pinned", "0"});
  RespConnection c(funnel_->port());
  const resp::Value watch = c.command({"WATCH", "k"});
  ASSERT_TRUE(watch.is_error());
  EXPECT_EQ(watch.str,
            "ERR funnel: WATCH is not supported through Funnel yet (it needs a dedicated backend "
            "connection and backend.max_pinned = 0)");
  EXPECT_TRUE(c.command({"BLPOP", "k", "0"}).is_error());
  EXPECT_EQ(c.command({"MULTI"}).str, "OK");  // no WATCH: no pinned link needed
  EXPECT_EQ(c.command({"BLPOP", "k", "0"}).str, "QUEUED");
  EXPECT_EQ(c.command({"EXEC"}).elems.size(), 1u);  // BLPOP does not block inside MULTI
}

TEST_F(StatefulTest, DatabasePoolsAreBounded) {
  TempDir dir("funnel-dbpools");
  const std::string config = dir.file("funnel.toml");
  std::ofstream(config) << "[backend]\nmax_database_pools = 1\n";
  start({"--config", config});
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"SELECT", "3"}).str, "OK");
  const resp::Value refused = c.command({"SELECT", "4"});
  ASSERT_TRUE(refused.is_error());
  EXPECT_EQ(refused.str.rfind("ERR funnel: SELECT 4 refused: Funnel already serves "
                              "backend.max_database_pools = 1",
                              0),
            0u)
      << refused.str;
  EXPECT_EQ(c.command({"SET", "k", "in3"}).str, "OK");  // still in database 3
  EXPECT_EQ(RespConnection(funnel_->port()).command({"SELECT", "3"}).str, "OK");  // shared pool
}

// CLIENT REPLY OFF/SKIP: Funnel drops the client's replies as Redis would (the replies that do
// come are byte-identical to direct, up to a final PING that marks the end).
TEST_F(StatefulTest, ClientReplyOffAndSkipDropRepliesAsRedisDoes) {
  start();
  const Commands commands = {{"CLIENT", "REPLY", "SKIP"},
                             {"SET", "a", "1"},
                             {"CLIENT", "REPLY", "OFF"},
                             {"SET", "a", "2"},
                             {"GET", "a"},
                             {"PING"},
                             {"MULTI"},
                             {"INCR", "a"},
                             {"EXEC"},
                             {"CLIENT", "REPLY", "ON"},
                             {"GET", "a"},
                             {"CLIENT", "REPLY", "MAYBE"},
                             {"CLIENT", "REPLY"},
                             {"PING", "end"}};
  std::string batch;
  for (const auto& command : commands) batch += encode_command(command);
  const auto replies_until_end = [&](std::uint16_t port) {
    RespConnection c(port);
    c.send_raw(batch);
    std::string all;
    for (int i = 0; i < 20; ++i) {
      const std::string reply = c.read_raw_reply();
      all += reply;
      if (reply == "$3\r\nend\r\n") break;
    }
    return all;
  };
  RespConnection(redis_->port()).command({"FLUSHALL"});
  const std::string proxied = replies_until_end(funnel_->port());
  RespConnection(redis_->port()).command({"FLUSHALL"});
  const std::string direct = replies_until_end(redis_->port());
  EXPECT_EQ(printable(proxied), printable(direct));
  EXPECT_EQ(printable(direct),
            printable("+OK\r\n$1\r\n3\r\n-ERR syntax error\r\n-ERR wrong number of arguments "
                      "for 'client|reply' command\r\n$3\r\nend\r\n"));
}

// WAIT counts its own connection's writes: refused on a shared link, forwarded on a pinned one.
TEST_F(StatefulTest, WaitIsRefusedUnlessTheClientIsPinned) {
  start();
  RespConnection c(funnel_->port());
  const resp::Value refused = c.command({"WAIT", "0", "0"});
  ASSERT_TRUE(refused.is_error());
  EXPECT_NE(refused.str.find("served only while the client holds a dedicated backend connection"),
            std::string::npos)
      << refused.str;
  EXPECT_EQ(c.command({"WATCH", "k"}).str, "OK");
  EXPECT_EQ(c.command({"SET", "k", "1"}).str, "OK");
  EXPECT_EQ(c.command({"WAIT", "0", "0"}).integer, 0);  // no replicas: Redis's own answer
  EXPECT_EQ(c.command({"UNWATCH"}).str, "OK");
}

// WAIT counts the acknowledgements of the calling connection's own writes. Through Funnel it never
// reports one that did not happen: on a shared link it is refused, and on the client's pinned
// link (after WATCH) it counts that link's writes, which a frozen replica cannot acknowledge.
TEST_F(StatefulTest, WaitNeverReportsAnAcknowledgementThatDidNotHappen) {
  start();
  auto replica = RedisServer::start_replica_of(redis_->port());
  RespConnection c(funnel_->port());
  RespConnection direct(redis_->port());
  ASSERT_TRUE(c.command({"WAIT", "1", "100"}).is_error());  // shared link: refused

  EXPECT_EQ(c.command({"WATCH", "w"}).str, "OK");  // pinned from here
  EXPECT_EQ(c.command({"SET", "w", "1"}).str, "OK");
  EXPECT_EQ(c.command({"WAIT", "1", "5000"}).integer, 1);  // the live replica acknowledges

  ASSERT_EQ(::kill(replica->pid(), SIGSTOP), 0);  // the test's own replica
  EXPECT_EQ(c.command({"SET", "w", "2"}).str, "OK");
  EXPECT_EQ(c.command({"WAIT", "1", "300"}).integer, 0);
  // The same on a direct connection, for comparison: Redis says 0 too.
  EXPECT_EQ(direct.command({"SET", "d", "2"}).str, "OK");
  EXPECT_EQ(direct.command({"WAIT", "1", "300"}).integer, 0);
  ASSERT_EQ(::kill(replica->pid(), SIGCONT), 0);
  EXPECT_EQ(c.command({"UNWATCH"}).str, "OK");
}

// Client-side caching: CLIENT TRACKING ON (RESP3) leases a pinned link for the client, whose
// invalidation pushes reach it byte for byte as from Redis; OFF gives the link back. RESP2 and
// REDIRECT cannot work through a proxy and get a clear error.
TEST_F(StatefulTest, ClientTrackingGetsInvalidationPushesOnAPinnedLink) {
  start();
  RespConnection writer(funnel_->port());
  const resp::Value resp2 = writer.command({"CLIENT", "TRACKING", "on"});
  ASSERT_TRUE(resp2.is_error());
  EXPECT_EQ(resp2.str.rfind("ERR funnel: CLIENT TRACKING through Funnel needs RESP3", 0), 0u)
      << resp2.str;

  // The reference: what a direct RESP3 connection receives.
  RespConnection direct(redis_->port());
  direct.command({"HELLO", "3"});
  EXPECT_EQ(direct.command({"CLIENT", "TRACKING", "on"}).str, "OK");
  direct.command({"GET", "tracked"});
  RespConnection(redis_->port()).command({"SET", "tracked", "1"});
  const std::string expected_push = direct.read_raw_reply();
  EXPECT_EQ(expected_push.rfind(">2\r\n$10\r\ninvalidate\r\n", 0), 0u) << expected_push;

  RespConnection c(funnel_->port());
  c.command({"HELLO", "3"});
  const resp::Value redirect = c.command({"CLIENT", "TRACKING", "on", "REDIRECT", "5"});
  ASSERT_TRUE(redirect.is_error());
  EXPECT_EQ(c.command({"CLIENT", "TRACKING", "on"}).str, "OK");
  EXPECT_EQ(c.command({"CLIENT", "TRACKINGINFO"}).type, resp::ValueType::kMap);
  EXPECT_EQ(count_prefix(funnel_link_names(redis_->port()), "funnel:pinned"), 1u);
  EXPECT_EQ(c.command({"GET", "tracked"}).str, "1");
  EXPECT_EQ(writer.command({"SET", "tracked", "2"}).str, "OK");
  EXPECT_EQ(c.read_raw_reply(), expected_push);
  // Ordinary commands keep working on the tracking connection.
  EXPECT_EQ(c.command({"GET", "tracked"}).str, "2");

  // Not OFF: Redis's syntax error, and tracking stays on.
  EXPECT_TRUE(c.command({"CLIENT", "TRACKING", "maybe"}).is_error());
  EXPECT_EQ(writer.command({"SET", "tracked", "2b"}).str, "OK");
  EXPECT_EQ(c.read_raw_reply(), expected_push);

  EXPECT_EQ(c.command({"GET", "tracked"}).str, "2b");  // tracked again: a write would notify

  EXPECT_EQ(c.command({"CLIENT", "TRACKING", "Off"}).str, "OK");  // any spelling, as Redis
  EXPECT_EQ(writer.command({"SET", "tracked", "3"}).str, "OK");
  EXPECT_EQ(c.command({"PING"}).str, "PONG");  // no invalidation came before it
}

TEST_F(StatefulTest, ResetAndHelloWhilePinned) {
  start();
  RespConnection c(funnel_->port());
  RespConnection other(funnel_->port());
  EXPECT_EQ(c.command({"WATCH", "r"}).str, "OK");
  const resp::Value hello = c.command({"HELLO", "3"});
  ASSERT_TRUE(hello.is_error());
  EXPECT_EQ(hello.str.rfind("ERR funnel: HELLO cannot change the protocol", 0), 0u) << hello.str;
  EXPECT_EQ(c.command({"RESET"}).str, "RESET");  // ends the WATCH and the pin
  EXPECT_EQ(other.command({"SET", "r", "changed"}).str, "OK");
  c.send_raw(encode_command({"MULTI"}) + encode_command({"SET", "r", "mine"}) +
             encode_command({"EXEC"}));
  EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_raw_reply(), "+QUEUED\r\n");
  EXPECT_EQ(c.read_raw_reply(), "*1\r\n+OK\r\n");  // nothing watched any more: it runs
  EXPECT_EQ(c.command({"HELLO", "3"}).type, resp::ValueType::kMap);
  EXPECT_EQ(RespConnection(redis_->port()).command({"GET", "r"}).str, "mine");
}

// Random interleavings of stateless and stateful commands (transactions, WATCH, SELECT, blocking
// pops, CLIENT REPLY) from many clients at once, each on its own keys, pipelined in random-sized
// bursts: every reply must be byte-identical to the same script run on a direct connection.
TEST_F(StatefulTest, RandomStatefulScriptsFromManyClientsMatchDirect) {
  start({"--workers", "2", "--connections-per-node", "1"});
  const int clients = reduced_scale() ? 6 : 16;
  const int steps = reduced_scale() ? 120 : 400;
  std::vector<Commands> scripts(clients);
  for (int c = 0; c < clients; ++c) {
    std::uint32_t seed = 7919u * static_cast<std::uint32_t>(c + 1);
    const auto next = [&](std::uint32_t n) {
      seed = seed * 1103515245u + 12345u;
      return (seed >> 16) % n;
    };
    const std::string k = "c" + std::to_string(c) + ":";
    Commands& script = scripts[c];
    for (int i = 0; i < steps; ++i) {
      switch (next(9)) {
        case 0:
          script.push_back({"INCR", k + "n"});
          break;
        case 1:
          script.push_back({"RPUSH", k + "l", std::to_string(i)});
          break;
        case 2:
          script.push_back({"BLPOP", k + "l", "0.01"});
          break;
        case 3:
          script.insert(script.end(),
                        {{"MULTI"}, {"INCR", k + "n"}, {"PING"}, {"GET", k + "n"}, {"EXEC"}});
          break;
        case 4:
          script.insert(
              script.end(),
              {{"WATCH", k + "n"}, {"GET", k + "n"}, {"MULTI"}, {"INCR", k + "n"}, {"EXEC"}});
          break;
        case 5:
          script.push_back({"SELECT", std::to_string(next(3))});
          break;
        case 6:
          script.push_back({"GET", k + "n"});
          break;
        case 7:
          script.insert(script.end(), {{"MULTI"}, {"SET", k + "s", "v"}, {"DISCARD"}});
          break;
        default:
          script.push_back({"ECHO", std::to_string(i)});
          break;
      }
    }
    script.push_back({"SELECT", "0"});
  }
  const auto run_script = [](std::uint16_t port, const Commands& script, std::uint32_t seed) {
    RespConnection conn(port, std::chrono::seconds(10));
    std::vector<std::string> replies;
    std::size_t sent = 0;
    while (sent < script.size()) {
      seed = seed * 1103515245u + 12345u;
      const std::size_t burst = std::min<std::size_t>(1 + (seed >> 16) % 12, script.size() - sent);
      std::string batch;
      for (std::size_t j = 0; j < burst; ++j) batch += encode_command(script[sent + j]);
      conn.send_raw(batch);
      for (std::size_t j = 0; j < burst; ++j) replies.push_back(conn.read_raw_reply());
      sent += burst;
    }
    return replies;
  };
  RespConnection(redis_->port()).command({"FLUSHALL"});
  std::vector<std::vector<std::string>> proxied(clients);
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back(
          [&, c] { proxied[c] = run_script(funnel_->port(), scripts[c], c + 1u); });
    }
    for (auto& thread : threads) thread.join();
  }
  RespConnection(redis_->port()).command({"FLUSHALL"});
  for (int c = 0; c < clients; ++c) {
    const std::vector<std::string> direct = run_script(redis_->port(), scripts[c], c + 1u);
    ASSERT_EQ(proxied[c].size(), direct.size());
    for (std::size_t i = 0; i < direct.size(); ++i) {
      ASSERT_EQ(printable(proxied[c][i]), printable(direct[i]))
          << "client " << c << " reply " << i << " to " << scripts[c][i][0];
    }
  }
}

}  // namespace
}  // namespace funnel::test
