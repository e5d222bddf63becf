// routing_changed and same_primary: the listener hears routing changes, not offset changes.
#include "topology/view_change.hpp"

#include <gtest/gtest.h>

namespace funnel::topology {
namespace {

TopologyView two_nodes() {
  TopologyView view;
  NodeStatus primary;
  primary.node_id = 0;
  primary.address = {"127.0.0.1", 7001};
  primary.endpoints = {{boost::asio::ip::make_address("127.0.0.1"), 7001}};
  primary.role = routing::Role::kPrimary;
  primary.reachable = true;
  NodeStatus replica = primary;
  replica.node_id = 1;
  replica.address.port = 7002;
  replica.endpoints = {{boost::asio::ip::make_address("127.0.0.1"), 7002}};
  replica.role = routing::Role::kReplica;
  replica.readable = true;
  view.nodes = {primary, replica};
  view.primary = 0;
  return view;
}

TEST(ViewChange, OffsetsLagAndReasonsAloneAreNotRoutingChanges) {
  const TopologyView before = two_nodes();
  TopologyView after = before;
  after.nodes[1].offset = 12345;
  after.nodes[1].lag_bytes = 99;
  after.nodes[1].last_io_seconds_ago = 3;
  after.nodes[0].redis_version = "7.0.15";
  after.error = "x";
  EXPECT_FALSE(routing_changed(before, after));
}

TEST(ViewChange, ReadabilityReachabilityRolePrimaryAndNodeSetAre) {
  const TopologyView before = two_nodes();
  TopologyView after = before;
  after.nodes[1].readable = false;
  EXPECT_TRUE(routing_changed(before, after));
  after = before;
  after.nodes[0].reachable = false;
  EXPECT_TRUE(routing_changed(before, after));
  after = before;
  after.nodes[1].role = routing::Role::kPrimary;
  EXPECT_TRUE(routing_changed(before, after));
  after = before;
  after.primary.reset();
  EXPECT_TRUE(routing_changed(before, after));
  after = before;
  after.nodes.pop_back();
  EXPECT_TRUE(routing_changed(before, after));
  after = before;
  after.nodes[0].endpoints = {{boost::asio::ip::make_address("10.0.0.1"), 7001}};
  EXPECT_TRUE(routing_changed(before, after));
  after = before;
  after.failovers = 1;
  EXPECT_TRUE(routing_changed(before, after));
}

TEST(ViewChange, SamePrimaryIsIdAndEndpoints) {
  const TopologyView view = two_nodes();
  NodeStatus moved = view.nodes[0];
  EXPECT_TRUE(same_primary(&view.nodes[0], &moved));
  moved.endpoints = {{boost::asio::ip::make_address("10.0.0.1"), 7001}};
  EXPECT_FALSE(same_primary(&view.nodes[0], &moved));
  EXPECT_FALSE(same_primary(&view.nodes[0], &view.nodes[1]));
  EXPECT_FALSE(same_primary(&view.nodes[0], nullptr));
  EXPECT_TRUE(same_primary(nullptr, nullptr));
}

}  // namespace
}  // namespace funnel::topology
