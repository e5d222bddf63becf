// backend.serverless (issue #19, item 6): which endpoint names are ElastiCache Serverless's, and
// what Serverless mode makes of the rest of the configuration (cluster mode on the endpoint, the
// read endpoint on port + 1, TLS for the service's names, database 0 only).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/serverless.hpp"
#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::HasSubstr;
using ServerlessConfigTest = ConfigTest;

TEST(ServerlessEndpoint, RecognisesTheServicesNamesOnly) {
  const std::pair<const char*, bool> cases[] = {
      {"my-cache-abc123.serverless.use1.cache.amazonaws.com", true},
      {"My-Cache-ABC123.Serverless.USE1.Cache.AmazonAWS.com", true},
      {"my-cache-abc123.serverless.euw1.cache.amazonaws.com.", true},
      {"master.my-cache.abc123.use1.cache.amazonaws.com", false},
      {"clustercfg.my-cache.abc123.use1.cache.amazonaws.com", false},
      {"clustercfg.my-memorydb.abc123.memorydb.us-east-1.amazonaws.com", false},
      {"serverless.use1.cache.amazonaws.com", false},
      {"x.serverless.cache.amazonaws.com", false},
      {"x.serverless.use1.cache.amazonaws.com.evil.example", false},
      {"127.0.0.1", false},
      {"", false},
  };
  for (const auto& [host, expected] : cases) {
    EXPECT_EQ(is_serverless_endpoint(host), expected) << host;
  }
}

TEST_F(ServerlessConfigTest, AnEndpointNameTurnsItOn) {
  Config config;
  config.backend.address = HostPort{"my-cache-abc123.serverless.use1.cache.amazonaws.com", 6379};
  finalize(config);
  EXPECT_TRUE(config.backend.serverless_on);
  ASSERT_EQ(config.cluster.seeds.size(), 1u);
  // Cluster mode: the seed is also the first node links go to (topology_rules.cpp).
  EXPECT_EQ(config.backend.address, config.cluster.seeds[0]);
  EXPECT_EQ(config.cluster.seeds[0].port, 6379);
  ASSERT_TRUE(config.cluster.read_endpoint.has_value());
  EXPECT_EQ(config.cluster.read_endpoint->host,
            "my-cache-abc123.serverless.use1.cache.amazonaws.com");
  EXPECT_EQ(config.cluster.read_endpoint->port, 6380);
  EXPECT_EQ(config.backend.tls, 1u);
  EXPECT_EQ(config.backend.max_database_pools, 0u);
  EXPECT_EQ(config.backend.iam_serverless, 0u);  // no IAM: untouched
  // With IAM, the tokens are a serverless cache's.
  Config iam;
  iam.backend.address = HostPort{"my-cache-abc123.serverless.use1.cache.amazonaws.com", 6379};
  iam.backend.iam_user = "app";
  iam.backend.iam_cache_id = "my-cache";
  iam.backend.iam_region = "us-east-1";
  finalize(iam);
  EXPECT_EQ(iam.backend.iam_serverless, 1u);
  // The same name given as the cluster seed.
  Config seeded;
  seeded.cluster.seeds = {HostPort{"c-1.serverless.apse2.cache.amazonaws.com", 7000}};
  finalize(seeded);
  EXPECT_TRUE(seeded.backend.serverless_on);
  EXPECT_EQ(seeded.cluster.read_endpoint->port, 7001);
}

// Each case in a Config of its own: `config = Config{}` makes GCC 12's release build warn
// (-Werror=maybe-uninitialized) about the temporary's strings.
TEST_F(ServerlessConfigTest, OnForAnyAddressOffForAny) {
  Config on;
  on.backend.address = HostPort{"127.0.0.1", 7000};
  on.backend.serverless = "on";
  finalize(on);
  EXPECT_TRUE(on.backend.serverless_on);
  EXPECT_EQ(on.backend.tls, 0u);  // not the service's name: TLS as configured
  EXPECT_EQ(on.cluster.read_endpoint->port, 7001);
  Config read_port;
  read_port.backend.address = HostPort{"127.0.0.1", 7000};
  read_port.backend.serverless = "on";
  read_port.backend.serverless_read_port = 7005;
  finalize(read_port);
  EXPECT_EQ(read_port.cluster.read_endpoint->port, 7005);
  Config off;
  off.backend.address = HostPort{"my-cache-abc123.serverless.use1.cache.amazonaws.com", 6379};
  off.backend.serverless = "off";
  finalize(off);
  EXPECT_FALSE(off.backend.serverless_on);
  EXPECT_TRUE(off.backend.address.has_value());
  EXPECT_FALSE(off.cluster.read_endpoint.has_value());
  // A plain address stays a plain address.
  Config plain = runnable_config();
  finalize(plain);
  EXPECT_FALSE(plain.backend.serverless_on);
}

TEST_F(ServerlessConfigTest, ErrorsNameTheKeys) {
  Config two_seeds;
  two_seeds.backend.serverless = "on";
  two_seeds.cluster.seeds = {HostPort{"10.0.0.1", 6379}, HostPort{"10.0.0.2", 6379}};
  EXPECT_THAT(error_of([&] { finalize(two_seeds); }), HasSubstr("backend.serverless"));
  Config last_port;
  last_port.backend.address = HostPort{"127.0.0.1", 65535};
  last_port.backend.serverless = "on";
  EXPECT_THAT(error_of([&] { finalize(last_port); }), HasSubstr("backend.serverless_read_port"));
  EXPECT_THAT(toml_error("[backend]\nserverless = \"maybe\"\n"), HasSubstr("backend.serverless"));
}

}  // namespace
}  // namespace funnel::config
