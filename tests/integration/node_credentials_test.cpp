// Per-node credentials in the node list (issue #19, [[topology.nodes]] in docs/topology.md): a
// primary and a replica that each require their own user and password; Funnel logs every link in
// with the node's own (shared, health and control links alike), so reads reach the replica and
// writes the primary. Real redis-server processes on loopback ports.
#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

constexpr char kPrimarySecret[] = "primary-secret";
constexpr char kReplicaSecret[] = "replica-secret";

// CLIENT LIST of a node that requires `user` / `password`, through an authenticated connection.
std::string client_list(std::uint16_t port, const std::string& user, const std::string& password) {
  RespConnection direct(port);
  EXPECT_EQ(direct.command({"AUTH", user, password}).str, "OK");
  return direct.command({"CLIENT", "LIST"}).str;
}

TEST(NodeCredentials, EachNodeIsLoggedInWithItsOwnUserAndPassword) {
  auto primary = RedisServer::start({"--requirepass", kPrimarySecret});
  // The replica knows the primary's password; once linked (the fixture checks that without a
  // password), its own clients must log in, Funnel as `reader`.
  auto replica = RedisServer::start_replica_of(primary->port(), {"--masterauth", kPrimarySecret});
  {
    RespConnection direct(replica->port());
    ASSERT_EQ(direct
                  .command({"ACL", "SETUSER", "reader", "on", std::string(">") + kReplicaSecret,
                            "~*", "+@all"})
                  .str,
              "OK");
    ASSERT_EQ(direct.command({"CONFIG", "SET", "requirepass", "unused-default"}).str, "OK");
  }
  TempDir dir;
  const std::string config =
      dir.write("funnel.toml", "[[topology.nodes]]\naddress = \"" + backend_arg(replica->port()) +
                                   "\"\nuser = \"reader\"\npassword_file = \"" +
                                   dir.write("replica.pass", kReplicaSecret) + "\"\n");
  auto funnel = FunnelProcess::start(
      {"--config", config, "--backend", backend_arg(primary->port()), "--replica",
       backend_arg(replica->port()), "--backend-password-file",
       dir.write("primary.pass", kPrimarySecret), "--read-policy", "replica", "--workers", "2",
       "--health-interval-ms", "100",
       // No provisioned backend user (docs/security.md#scripts): links stay logged in as given.
       "--deny-commands", ""});

  RespConnection client(funnel->port());
  ASSERT_EQ(client.command({"SET", "creds:key", "from-primary"}).str, "OK");
  // Under read_policy = replica a read succeeds only once the replica's links are logged in.
  ASSERT_TRUE(wait_until([&] {
    return get_on_fresh_connection(funnel->port(), "creds:key").str == "from-primary";
  })) << funnel->log_text();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(client.command({"GET", "creds:key"}).str, "from-primary");

  const std::string replica_clients = client_list(replica->port(), "reader", kReplicaSecret);
  EXPECT_NE(replica_clients.find("name=funnel:replica"), std::string::npos) << replica_clients;
  EXPECT_NE(replica_clients.find("name=funnel:health"), std::string::npos) << replica_clients;
  for (std::size_t at = replica_clients.find("name=funnel:"); at != std::string::npos;
       at = replica_clients.find("name=funnel:", at + 1)) {
    const std::string line = replica_clients.substr(at, replica_clients.find('\n', at) - at);
    EXPECT_NE(line.find("user=reader"), std::string::npos) << line;
  }
  const std::string primary_clients = client_list(primary->port(), "default", kPrimarySecret);
  EXPECT_NE(primary_clients.find("name=funnel:shared"), std::string::npos) << primary_clients;
  EXPECT_EQ(funnel->stop(), 0) << funnel->log_text();
}

}  // namespace
}  // namespace funnel::test
