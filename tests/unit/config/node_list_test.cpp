// [[topology.nodes]] (issue #19): per-node settings in the node list, matched by address, and
// Funnel's own zone (server.zone, else AWS_AVAILABILITY_ZONE) for prefer-local-zone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::HasSubstr;

class NodeListTest : public ConfigTest {
 private:
  ScopedEnv zone_{"AWS_AVAILABILITY_ZONE", std::nullopt};
};

constexpr char kTwoNodes[] = R"(
[server]
zone = "use1-az1"
[backend]
address = "10.0.0.5:6379"
[topology]
replicas = ["10.0.0.6:6379", "10.0.0.7:6379"]
read_policy = "prefer-local-zone"
[[topology.nodes]]
address = "10.0.0.6:6379"
zone = "use1-az1"
[[topology.nodes]]
address = "10.0.0.5:6379"
zone = "use1-az2"
)";

TEST_F(NodeListTest, EntriesAreMatchedByAddress) {
  Config config = load_toml(kTwoNodes, "test.toml");
  finalize(config);
  EXPECT_EQ(config.server.zone, "use1-az1");
  ASSERT_EQ(config.topology.nodes.size(), 2u);
  const NodeConfig* replica = config.topology.node(HostPort{"10.0.0.6", 6379});
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(replica->zone, "use1-az1");
  EXPECT_EQ(config.topology.node(HostPort{"10.0.0.5", 6379})->zone, "use1-az2");
  EXPECT_EQ(config.topology.node(HostPort{"10.0.0.7", 6379}), nullptr);
}

TEST_F(NodeListTest, TheZoneComesFromTheEnvironmentWhenNotConfigured) {
  ScopedEnv zone("AWS_AVAILABILITY_ZONE", "us-east-1c");
  Invocation run = invoke({"--backend", "10.0.0.5:6379", "--replica", "10.0.0.6:6379",
                           "--read-policy", "prefer-local-zone"});
  EXPECT_EQ(run.config.server.zone, "us-east-1c");
  Invocation flag = invoke({"--backend", "10.0.0.5:6379", "--zone", "us-east-1a"});
  EXPECT_EQ(flag.config.server.zone, "us-east-1a");  // the key (or flag) wins
}

TEST_F(NodeListTest, MistakesAreRefusedWithTheEntryNamed) {
  struct Case {
    const char* toml;
    const char* message;
  };
  const Case cases[] = {
      {"[[topology.nodes]]\nzone = \"a\"\n", "topology.nodes[0] has no address"},
      {"[[topology.nodes]]\naddress = \"10.0.0.5:6379\"\nzones = \"a\"\n",
       "unknown key topology.nodes[0].zones (did you mean zone?)"},
      {"[[topology.nodes]]\naddress = \"10.0.0.5:6379\"\nzone = 3\n",
       "topology.nodes[0].zone: expected a string"},
      {"[topology]\nnodes = [\"10.0.0.5:6379\"]\n", "topology.nodes[0]: expected a table"},
      {"[[topology.nodes]]\naddress = \"10.0.0.9:6379\"\nzone = \"a\"\n",
       "is not backend.address or one of topology.replicas"},
      {"[[topology.nodes]]\naddress = \"10.0.0.5:6379\"\n[[topology.nodes]]\naddress = "
       "\"10.0.0.5:6379\"\n",
       "topology.nodes[1].address = \"10.0.0.5:6379\" is listed twice"},
      {"[[topology.nodes]]\naddress = \"10.0.0.5:6379\"\nzone = \"us east\"\n",
       "a zone has no spaces"},
      {"[topology]\nread_policy = \"prefer-local-zone\"\nreplicas = [\"10.0.0.6:6379\"]\n",
       "needs Funnel's own zone: set server.zone"},
  };
  for (const Case& c : cases) {
    const std::string doc = std::string("[backend]\naddress = \"10.0.0.5:6379\"\n") + c.toml;
    const std::string message = error_of([&] {
      Config config = load_toml(doc, "test.toml");
      finalize(config);
    });
    EXPECT_THAT(message, HasSubstr(c.message)) << c.toml;
  }
}

TEST_F(NodeListTest, ANodeHasItsOwnUserPasswordAndTlsSettings) {
  TempFile password("replica-secret\n");
  Config config = load_toml(R"(
[backend]
address = "10.0.0.5:6379"
tls = 1
[topology]
replicas = ["10.0.0.6:6379"]
[[topology.nodes]]
address = "10.0.0.6:6379"
user = "reader"
password_file = ")" + password.path() +
                                R"("
tls_server_name = "replica.example.com"
tls_ca_file = "/etc/funnel/replica-ca.pem"
)",
                            "test.toml");
  finalize(config);
  const NodeConfig& node = config.topology.nodes.front();
  EXPECT_EQ(node.user, "reader");
  EXPECT_EQ(node.password, "replica-secret");  // one trailing newline dropped, as for backend
  EXPECT_EQ(node.tls_server_name, "replica.example.com");
  EXPECT_EQ(node.tls_ca_file, "/etc/funnel/replica-ca.pem");
}

TEST_F(NodeListTest, NodeCredentialMistakesAreRefusedWithoutShowingASecret) {
  struct Case {
    const char* toml;
    const char* message;
  };
  const Case cases[] = {
      {"[[topology.nodes]]\naddress = \"10.0.0.5:6379\"\npassword = \"hunter2\"\n",
       "topology.nodes[0].password is not supported"},
      {"[[topology.nodes]]\naddress = \"10.0.0.5:6379\"\nuser = \"app\"\n",
       "topology.nodes[0].user = \"app\" is set but the node has no password of its own"},
      {"[[topology.nodes]]\naddress = \"10.0.0.5:6379\"\ntls_server_name = \"x\"\n",
       "backend.tls is off"},
      {"[[topology.nodes]]\naddress = \"10.0.0.5:6379\"\npassword_file = \"/nonexistent/pw\"\n",
       "topology.nodes[0].password_file"},
  };
  for (const Case& c : cases) {
    const std::string doc = std::string("[backend]\naddress = \"10.0.0.5:6379\"\n") + c.toml;
    const std::string message = error_of([&] {
      Config config = load_toml(doc, "test.toml");
      finalize(config);
    });
    EXPECT_THAT(message, HasSubstr(c.message)) << c.toml;
    EXPECT_THAT(message, ::testing::Not(HasSubstr("hunter2")));
  }
}

TEST_F(NodeListTest, DiscoveredNodesMayBeNamedBeforeTheyAreSeen) {
  Config config = load_toml(R"(
[topology]
discover = "cache.example.com:6379"
[[topology.nodes]]
address = "10.0.0.9:6379"
zone = "b"
)",
                            "test.toml");
  finalize(config);
  EXPECT_EQ(config.topology.nodes.front().zone, "b");
}

}  // namespace
}  // namespace funnel::config
