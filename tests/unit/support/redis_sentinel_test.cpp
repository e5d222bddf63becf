// Tests of the RedisSentinel fixture (tests/support): start, the replicas it sees, a forced
// failover, stop by PID.
#include "support/redis_sentinel.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>

#include "support/net.hpp"
#include "support/redis_server.hpp"
#include "support/resp_connection.hpp"

namespace funnel::test {
namespace {

TEST(RedisSentinel, SeesTheMasterAndItsReplicasAndFailsOver) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  auto sentinel = RedisSentinel::start(primary->port());
  EXPECT_NE(sentinel->port(), 0);
  EXPECT_GT(sentinel->pid(), 0);
  EXPECT_EQ(sentinel->master_port(), primary->port());
  ASSERT_TRUE(sentinel->wait_for_replicas(1)) << sentinel->log();
  EXPECT_EQ(sentinel->healthy_replica_ports(), std::vector<std::uint16_t>{replica->port()});

  // Verified shapes: unknown master -> null; SENTINEL replicas <unknown> -> this error.
  EXPECT_TRUE(sentinel->command({"SENTINEL", "get-master-addr-by-name", "nope"}).is_null());
  EXPECT_EQ(sentinel->command({"SENTINEL", "replicas", "nope"}).str,
            "ERR No such master with that name");

  sentinel->failover();
  EXPECT_TRUE(sentinel->wait_for_master_port(replica->port())) << sentinel->log();

  const pid_t pid = sentinel->pid();
  sentinel->stop();
  EXPECT_FALSE(sentinel->running());
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_TRUE(answers_ping(primary->port()));
}

TEST(RedisSentinel, RequirepassMakesClientsAuthenticate) {
  auto primary = RedisServer::start();
  SentinelOptions options;
  options.requirepass = "sentinel-secret";
  auto sentinel = RedisSentinel::start(primary->port(), options);
  EXPECT_EQ(sentinel->master_port(), primary->port());
  RespConnection anonymous(sentinel->port());
  const resp::Value refused =
      anonymous.command({"SENTINEL", "get-master-addr-by-name", "mymaster"});
  EXPECT_TRUE(refused.is_error());
  EXPECT_EQ(refused.str.rfind("NOAUTH", 0), 0u) << refused.str;
}

}  // namespace
}  // namespace funnel::test
