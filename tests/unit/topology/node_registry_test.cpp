// NodeRegistry: identity by resolved endpoint, ids never reused, aging of vanished nodes.
#include "topology/node_registry.hpp"

#include <gtest/gtest.h>

namespace funnel::topology {
namespace {
using Endpoint = NodeRegistry::Endpoint;

Endpoint ep(const char* ip, std::uint16_t port) {
  return Endpoint(boost::asio::ip::make_address(ip), port);
}

TEST(NodeRegistry, OneNodeKnownByNameAndByIpIsOneNode) {
  NodeRegistry registry(256);
  auto by_name = registry.upsert({"reader.example", 6379}, {ep("10.0.0.7", 6379)}, false);
  auto by_ip = registry.upsert({"10.0.0.7", 6379}, {ep("10.0.0.7", 6379)}, false);
  ASSERT_TRUE(by_name && by_ip);
  EXPECT_EQ(*by_name, *by_ip);
  EXPECT_EQ(registry.nodes().size(), 1u);
  auto other = registry.upsert({"10.0.0.8", 6379}, {ep("10.0.0.8", 6379)}, false);
  EXPECT_NE(*other, *by_ip);
}

TEST(NodeRegistry, IdsAreNeverReusedAndRunOut) {
  NodeRegistry registry(2);
  auto a = registry.upsert({"10.0.0.1", 1}, {ep("10.0.0.1", 1)}, false);
  registry.remove(*a);
  auto b = registry.upsert({"10.0.0.1", 1}, {ep("10.0.0.1", 1)}, false);
  EXPECT_EQ(*a, 0u);
  EXPECT_EQ(*b, 1u);
  EXPECT_TRUE(registry.full());
  EXPECT_FALSE(registry.upsert({"10.0.0.2", 1}, {ep("10.0.0.2", 1)}, false));
  // An existing node is still found when the id space is spent.
  EXPECT_EQ(registry.upsert({"10.0.0.1", 1}, {ep("10.0.0.1", 1)}, false), b);
}

TEST(NodeRegistry, AConfiguredNameFollowsItsResolutionAndKeepsItsId) {
  NodeRegistry registry(256);
  const config::HostPort name{"primary.example", 6379};
  auto first = registry.upsert(name, {ep("10.0.0.1", 6379)}, true);
  auto moved = registry.upsert(name, {ep("10.0.0.9", 6379)}, true);
  EXPECT_EQ(first, moved);
  EXPECT_EQ(registry.find(*moved)->status.endpoints, std::vector<Endpoint>{ep("10.0.0.9", 6379)});
  // Unresolvable now: keep the last known endpoints.
  registry.upsert(name, {}, true);
  EXPECT_EQ(registry.find(*moved)->status.endpoints, std::vector<Endpoint>{ep("10.0.0.9", 6379)});
}

TEST(NodeRegistry, AgingDropsOnlyNodesBothUnnamedAndUnreachable) {
  NodeRegistry registry(256);
  auto configured = *registry.upsert({"10.0.0.1", 1}, {ep("10.0.0.1", 1)}, true);
  auto healthy = *registry.upsert({"10.0.0.2", 1}, {ep("10.0.0.2", 1)}, false);
  auto named = *registry.upsert({"10.0.0.3", 1}, {ep("10.0.0.3", 1)}, false);
  auto gone = *registry.upsert({"10.0.0.4", 1}, {ep("10.0.0.4", 1)}, false);
  registry.find(healthy)->status.reachable = true;  // a round-robin seed stopped naming it
  for (int round = 0; round < 2; ++round) EXPECT_TRUE(registry.age({named}, 3).empty());
  EXPECT_EQ(registry.age({named}, 3), std::vector<std::uint32_t>{gone});
  EXPECT_EQ(registry.find(gone), nullptr);
  EXPECT_NE(registry.find(configured), nullptr);
  EXPECT_NE(registry.find(healthy), nullptr);
  EXPECT_NE(registry.find(named), nullptr);
}

TEST(NodeRegistry, NamingANodeAgainResetsItsMissedRounds) {
  NodeRegistry registry(256);
  auto id = *registry.upsert({"10.0.0.4", 1}, {ep("10.0.0.4", 1)}, false);
  registry.age({}, 3);
  registry.age({}, 3);
  registry.age({id}, 3);
  registry.age({}, 3);
  EXPECT_TRUE(registry.age({}, 3).empty());
  EXPECT_EQ(registry.age({}, 3), std::vector<std::uint32_t>{id});
}

}  // namespace
}  // namespace funnel::topology
