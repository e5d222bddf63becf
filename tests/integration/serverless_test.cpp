// ElastiCache Serverless as a backend (issue #19, item 6) against a local stand-in: a one-node
// Redis Cluster owning every slot and reporting no address for itself (as the service's endpoint
// does), plus a replica of it that the cluster announces at a port nobody listens on, so only
// Serverless mode's read endpoint (backend.serverless_read_port; the service's port + 1) reaches
// it. Under prefer-replica, reads must arrive there on READONLY links and writes at the primary
// (INFO commandstats on each); SELECT of another database is refused by Funnel.
#include <gtest/gtest.h>

#include <string>

#include "harness.hpp"
#include "support/redis_cluster.hpp"

namespace funnel::test {
namespace {

std::int64_t command_calls(std::uint16_t port, const std::string& command) {
  RespConnection conn(port);
  const std::string info = conn.command({"INFO", "commandstats"}).str;
  const std::string line = "cmdstat_" + command + ":calls=";
  const std::size_t at = info.find(line);
  return at == std::string::npos ? 0 : std::atoll(info.c_str() + at + line.size());
}

std::string node_id(std::uint16_t port) {
  RespConnection conn(port);
  return conn.command({"CLUSTER", "MYID"}).str;
}

// A replica of the one-node cluster at `primary`, announced at `announced` (not its own port).
std::unique_ptr<RedisServer> start_hidden_replica(std::uint16_t primary, std::uint16_t announced) {
  auto replica = RedisServer::start(cluster_node_args());
  RespConnection conn(replica->port());
  EXPECT_EQ(conn.command({"CONFIG", "SET", "cluster-announce-bus-port",
                          std::to_string(replica->port() + 10000)})
                .str,
            "OK");
  EXPECT_EQ(conn.command({"CONFIG", "SET", "cluster-announce-port", std::to_string(announced)}).str,
            "OK");
  EXPECT_EQ(conn.command({"CLUSTER", "MEET", "127.0.0.1", std::to_string(primary)}).str, "OK");
  const std::string primary_id = node_id(primary);
  EXPECT_TRUE(wait_until(
      [&] {
        return conn.command({"CLUSTER", "REPLICATE", primary_id}).str == "OK";
      },
      std::chrono::seconds(20)));
  EXPECT_TRUE(wait_until(
      [&] {
        return conn.command({"INFO", "replication"}).str.find("master_link_status:up") !=
               std::string::npos;
      },
      std::chrono::seconds(20)));
  return replica;
}

TEST(ServerlessTest, ReplicaReadsUseTheReadPortAndWritesThePrimary) {
  auto cluster = RedisCluster::start_single();
  const std::uint16_t primary = cluster->port(0);
  auto replica = start_hidden_replica(primary, free_port());
  TempDir dir;
  const std::string config = dir.write(
      "funnel.toml",
      "[backend]\naddress = \"127.0.0.1:" + std::to_string(primary) +
          "\"\nserverless = \"on\"\nserverless_read_port = " + std::to_string(replica->port()) +
          "\n[topology]\nread_policy = \"prefer-replica\"\n");
  auto funnel = FunnelProcess::start({"--config", config});
  RespConnection client(funnel->port());
  for (int i = 0; i < 50; ++i) {
    const std::string key = "sl:" + std::to_string(i);
    ASSERT_EQ(client.command({"SET", key, "v" + std::to_string(i)}).str, "OK") << key;
  }
  // Replicated: the last write is on the replica.
  RespConnection replica_conn(replica->port());
  ASSERT_EQ(replica_conn.command({"READONLY"}).str, "OK");
  ASSERT_TRUE(wait_until([&] { return replica_conn.command({"GET", "sl:49"}).str == "v49"; }));
  const std::int64_t replica_gets = command_calls(replica->port(), "get");
  // Reads reach the replica once its pool is up (health checked first); every value is right.
  int round = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string key = "sl:" + std::to_string(round % 50);
        EXPECT_EQ(client.command({"GET", key}).str, "v" + std::to_string(round % 50)) << key;
        ++round;
        return command_calls(replica->port(), "get") - replica_gets >= 20;
      },
      std::chrono::seconds(30)))
      << funnel->log_text();
  EXPECT_GE(command_calls(primary, "set"), 50);
  EXPECT_EQ(command_calls(replica->port(), "readonly") >= 1, true);
  // Database 0 only.
  const resp::Value select = client.command({"SELECT", "1"});
  EXPECT_TRUE(select.is_error());
  EXPECT_NE(select.str.find("ElastiCache Serverless has database 0 only"), std::string::npos)
      << select.str;
  EXPECT_EQ(client.command({"SELECT", "0"}).str, "OK");
}

}  // namespace
}  // namespace funnel::test
