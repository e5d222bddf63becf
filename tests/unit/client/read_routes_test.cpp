// ReadRoutes: the worker's node list for reads follows the snapshots (pools, readability,
// layout and health epochs), retries avoid the failed node, and policy replica refuses clearly.
// The pools are real BackendPools whose links never connect (no endpoints, the loop never runs).
#include "client/read_routes.hpp"

#include <gtest/gtest.h>

namespace funnel::client {
namespace {

struct NullSink : backend::ReplySink {
  void deliver(const backend::ReplyTarget&, std::string_view,
               const backend::ReplyTiming&) override {}
};
struct NullEvents : backend::PoolEvents {
  void hand_off(unsigned, std::uint32_t, resp::Protocol, unsigned, std::string_view,
                const backend::ReplyTarget&, common::Millis, std::uint32_t) override {}
  void request_reresolve(std::uint64_t) override {}
  void retry_read(std::uint32_t, resp::Protocol, std::string_view, const backend::ReplyTarget&,
                  common::Millis, std::string_view, bool) override {}
};

class ReadRoutesTest : public ::testing::Test {
 protected:
  backend::SnapshotPtr snapshot(std::vector<std::pair<std::uint32_t, bool>> replicas) {
    backend::BackendSnapshot s;
    s.address = "primary:6379";
    for (auto [id, readable] : replicas) {
      auto node = std::make_shared<backend::BackendSnapshot>();
      node->address = "replica-" + std::to_string(id) + ":6379";
      node->epoch = 1;
      s.replicas.push_back(backend::ReplicaNode{id, node, readable});
    }
    return std::make_shared<const backend::BackendSnapshot>(std::move(s));
  }
  void apply(ReadRoutes& routes, const backend::SnapshotPtr& s) {
    pools.update(*s);
    routes.update(*s, pools, primary);
  }
  ~ReadRoutesTest() override {
    pools.shutdown();
    primary.shutdown();
    io.restart();
    io.poll();  // the links' posted clean-ups
  }

  asio::io_context io;
  backend::LinkSettings settings;
  metrics::ProcessCounters counters;
  NullSink sink;
  NullEvents events;
  backend::BackendPool primary{io, settings, backend::PoolShape{}, sink, events, counters};
  backend::ReplicaPools pools{backend::PoolShape{}, [this](backend::PoolShape shape) {
                                return std::make_unique<backend::BackendPool>(
                                    io, settings, shape, sink, events, counters);
                              }};
};

TEST_F(ReadRoutesTest, PrimaryPolicyOrNoReplicaMeansInactive) {
  ReadRoutes primary_only(routing::ReadPolicy::kPrimary, ReadYourWrites::kOff);
  apply(primary_only, snapshot({{1, true}}));
  EXPECT_FALSE(primary_only.active());
  ReadRoutes none(routing::ReadPolicy::kPreferReplica, ReadYourWrites::kOff);
  apply(none, snapshot({}));
  EXPECT_FALSE(none.active());
}

TEST_F(ReadRoutesTest, ReadsGoToAReadableReplicaAndStayThere) {
  ReadRoutes routes(routing::ReadPolicy::kPreferReplica, ReadYourWrites::kOff);
  apply(routes, snapshot({{1, false}, {2, true}}));
  ASSERT_TRUE(routes.active());
  routing::ClientReadState state;
  const auto first = routes.choose(state, -1, false);
  EXPECT_EQ(first.node, 2u);
  ASSERT_NE(first.pool, nullptr);
  EXPECT_EQ(first.pool, pools.find(2));
  EXPECT_EQ(routes.choose(state, -1, false).node, 2u);
}

TEST_F(ReadRoutesTest, AFailedReplicaLeavesThisWorkersReadSetAtOnce) {
  ReadRoutes routes(routing::ReadPolicy::kPreferReplica, ReadYourWrites::kOff);
  apply(routes, snapshot({{1, true}}));
  routing::ClientReadState state;
  EXPECT_EQ(routes.choose(state, -1, false).node, 1u);
  EXPECT_TRUE(routes.mark_down(1));
  EXPECT_FALSE(routes.mark_down(1));  // reported once
  const auto after = routes.choose(state, -1, false);
  EXPECT_EQ(after.node, backend::kPrimaryNode);
  EXPECT_EQ(after.pool, nullptr);
  // The next snapshot says again how the node is.
  apply(routes, snapshot({{1, true}}));
  EXPECT_EQ(routes.choose(state, -1, false).node, 1u);
}

TEST_F(ReadRoutesTest, RetriesAvoidTheFailedReplica) {
  ReadRoutes routes(routing::ReadPolicy::kReplica, ReadYourWrites::kOff);
  apply(routes, snapshot({{1, true}, {2, true}}));
  routes.mark_down(1);
  EXPECT_EQ(routes.choose_retry(1).node, 2u);
  routes.mark_down(2);
  const auto none = routes.choose_retry(2);
  EXPECT_EQ(none.error, routing::kNoHealthyReplica);

  ReadRoutes prefer(routing::ReadPolicy::kPreferReplica, ReadYourWrites::kOff);
  apply(prefer, snapshot({{1, true}, {2, true}}));
  prefer.mark_down(1);
  EXPECT_EQ(prefer.choose_retry(1).node, backend::kPrimaryNode);  // a retry is always safe there
}

TEST_F(ReadRoutesTest, LayoutEpochMovesOnlyWhenTheNodeListChanges) {
  ReadRoutes routes(routing::ReadPolicy::kAny, ReadYourWrites::kOff);
  apply(routes, snapshot({{1, true}}));
  const auto epoch = routes.layout_epoch();
  apply(routes, snapshot({{1, false}}));
  EXPECT_EQ(routes.layout_epoch(), epoch);
  apply(routes, snapshot({{1, true}, {3, true}}));
  EXPECT_NE(routes.layout_epoch(), epoch);
  int replicas = 0;
  routes.for_each_replica([&](backend::BackendPool&) { ++replicas; });
  EXPECT_EQ(replicas, 2);
}

TEST_F(ReadRoutesTest, ReadYourWritesSendsLaggingReplicasReadsToThePrimary) {
  auto board = std::make_shared<routing::OffsetBoard>();
  board->set_node_offset(1, 100);
  backend::BackendSnapshot s = *snapshot({{1, true}});
  s.offsets = board;
  auto with_board = std::make_shared<const backend::BackendSnapshot>(std::move(s));
  ReadRoutes routes(routing::ReadPolicy::kReplica, ReadYourWrites::kClient);
  apply(routes, with_board);
  routing::ClientReadState state;
  EXPECT_EQ(routes.choose(state, 100, false).node, 1u);                     // caught up
  EXPECT_EQ(routes.choose(state, 101, false).node, backend::kPrimaryNode);  // not yet
  board->set_node_offset(1, 150);
  EXPECT_EQ(routes.choose(state, 101, false).node, 1u);
}

}  // namespace
}  // namespace funnel::client
