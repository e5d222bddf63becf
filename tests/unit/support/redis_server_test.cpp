// Tests of the RedisServer fixture (tests/support): start, stop by PID, restart on the same port,
// extra arguments, replicas.
#include "support/redis_server.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>

#include "support/net.hpp"
#include "support/resp_connection.hpp"
#include "support/wait.hpp"

namespace funnel::test {
namespace {

bool process_exists(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

TEST(RedisServer, StartsOnAFreePortAndAnswersPing) {
  auto redis = RedisServer::start();
  EXPECT_NE(redis->port(), 0);
  EXPECT_GT(redis->pid(), 0);
  EXPECT_TRUE(redis->running());
  EXPECT_TRUE(answers_ping(redis->port()));
  EXPECT_NE(redis->log().find("Ready to accept connections"), std::string::npos) << redis->log();
}

TEST(RedisServer, StopEndsItsOwnProcessOnly) {
  auto first = RedisServer::start();
  auto second = RedisServer::start();
  ASSERT_NE(first->port(), second->port());
  pid_t pid = first->pid();
  first->stop();
  EXPECT_FALSE(first->running());
  EXPECT_EQ(first->pid(), -1);
  EXPECT_FALSE(process_exists(pid));
  EXPECT_FALSE(port_accepts(first->port()));
  EXPECT_TRUE(answers_ping(second->port()));
  first->stop();  // idempotent
}

TEST(RedisServer, DestructorStopsTheServer) {
  auto redis = RedisServer::start();
  pid_t pid = redis->pid();
  std::uint16_t port = redis->port();
  redis.reset();
  EXPECT_FALSE(process_exists(pid));
  EXPECT_FALSE(port_accepts(port));
}

TEST(RedisServer, RestartKeepsThePortAndStartsEmpty) {
  auto redis = RedisServer::start();
  std::uint16_t port = redis->port();
  pid_t old_pid = redis->pid();
  {
    RespConnection conn(port);
    EXPECT_EQ(conn.command({"SET", "k", "v"}).str, "OK");
  }
  redis->restart();
  EXPECT_EQ(redis->port(), port);
  EXPECT_NE(redis->pid(), old_pid);
  RespConnection conn(port);
  EXPECT_TRUE(conn.command({"GET", "k"}).is_null()) << "nothing is persisted across restarts";
}

TEST(RedisServer, RestartAfterStopWorks) {
  auto redis = RedisServer::start();
  redis->stop();
  redis->restart();
  EXPECT_TRUE(answers_ping(redis->port()));
}

TEST(RedisServer, PassesExtraArguments) {
  auto redis = RedisServer::start({"--requirepass", "secret"});
  RespConnection conn(redis->port());
  auto reply = conn.command({"GET", "k"});
  ASSERT_TRUE(reply.is_error());
  EXPECT_EQ(reply.str.rfind("NOAUTH", 0), 0u) << reply.str;
  EXPECT_EQ(conn.command({"AUTH", "secret"}).str, "OK");
}

TEST(RedisServer, ReplicaFollowsItsPrimary) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  RespConnection to_primary(primary->port());
  RespConnection to_replica(replica->port());
  EXPECT_EQ(to_primary.command({"SET", "k", "v"}).str, "OK");
  EXPECT_TRUE(wait_until([&] { return to_replica.command({"GET", "k"}).str == "v"; }));
  auto role = to_replica.command({"ROLE"});
  ASSERT_FALSE(role.elems.empty());
  EXPECT_EQ(role.elems[0].str, "slave");
}

TEST(RedisServer, FailsClearlyWhenRedisCannotStart) {
  try {
    RedisServer::start({"--no-such-option", "x"});
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("did not start"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-option"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace funnel::test
