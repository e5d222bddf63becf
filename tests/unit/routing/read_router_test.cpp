// choose_read_node(): read policy, least-outstanding balancing, stickiness per health epoch,
// read-your-writes offsets and cursor affinity.
#include "routing/read_router.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace funnel::routing {
namespace {

// Node 0 is the primary, 1..n replicas.
std::vector<NodeView> nodes(std::initializer_list<NodeView> replicas) {
  std::vector<NodeView> out{NodeView{true, false, 100, 0}};
  out.insert(out.end(), replicas);
  return out;
}

ReadRequest with(ReadPolicy policy, std::uint32_t epoch = 1, std::int64_t offset = -1) {
  ReadRequest request;
  request.policy = policy;
  request.health_epoch = epoch;
  request.needed_offset = offset;
  return request;
}

TEST(ReadRouter, PrimaryPolicyAlwaysUsesThePrimary) {
  ClientReadState state;
  const auto view = nodes({{false, true, 100, 0}});
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kPrimary), state).node, 0);
}

TEST(ReadRouter, PreferReplicaPicksTheLeastLoadedHealthyReplica) {
  ClientReadState state;
  const auto view = nodes({{false, true, 100, 5}, {false, true, 100, 2}, {false, false, 100, 0}});
  const ReadChoice choice = choose_read_node(view, 0, with(ReadPolicy::kPreferReplica), state);
  EXPECT_EQ(choice.node, 2);  // node 3 is unhealthy though idle
  EXPECT_FALSE(choice.fell_back);
}

TEST(ReadRouter, AClientStaysOnItsReplicaUntilHealthChanges) {
  ClientReadState state;
  auto view = nodes({{false, true, 100, 0}, {false, true, 100, 3}});
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kPreferReplica, 1), state).node, 1);
  view[1].outstanding = 10;  // busier now, but the client's reads must not go back in time
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kPreferReplica, 1), state).node, 1);
  // Health epoch moved: choose again by load.
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kPreferReplica, 2), state).node, 2);
}

TEST(ReadRouter, AnUnhealthyStickyReplicaIsLeftAtOnce) {
  ClientReadState state;
  auto view = nodes({{false, true, 100, 0}, {false, true, 100, 3}});
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kPreferReplica, 1), state).node, 1);
  view[1].readable = false;  // even before the epoch is published
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kPreferReplica, 1), state).node, 2);
}

TEST(ReadRouter, NoHealthyReplica) {
  ClientReadState state;
  const auto view = nodes({{false, false, 100, 0}});
  const ReadChoice prefer = choose_read_node(view, 0, with(ReadPolicy::kPreferReplica), state);
  EXPECT_EQ(prefer.node, 0);
  EXPECT_TRUE(prefer.fell_back);
  const ReadChoice strict = choose_read_node(view, 0, with(ReadPolicy::kReplica), state);
  EXPECT_EQ(strict.node, -1);
  EXPECT_EQ(strict.error, kNoHealthyReplica);
}

TEST(ReadRouter, ReadYourWritesSkipsReplicasBehindTheNeededOffset) {
  ClientReadState state;
  const auto view = nodes({{false, true, 90, 0}, {false, true, 120, 5}});
  // Node 1 is idle but behind offset 100: node 2 has it.
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kReplica, 1, 100), state).node, 2);
}

TEST(ReadRouter, ReadYourWritesFallsBackToThePrimaryEvenUnderReplicaPolicy) {
  ClientReadState state;
  const auto view = nodes({{false, true, 90, 0}});
  const ReadChoice choice = choose_read_node(view, 0, with(ReadPolicy::kReplica, 1, 100), state);
  EXPECT_EQ(choice.node, 0);
  EXPECT_TRUE(choice.fell_back);
}

TEST(ReadRouter, StickyReplicaBehindTheNeededOffsetIsNotUsed) {
  ClientReadState state;
  auto view = nodes({{false, true, 100, 0}});
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kReplica, 1), state).node, 1);
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kReplica, 1, 150), state).node, 0);
}

TEST(ReadRouter, AnyPolicyBalancesOverThePrimaryToo) {
  ClientReadState state;
  auto view = nodes({{false, true, 100, 4}});
  view[0].outstanding = 1;
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kAny), state).node, 0);
}

TEST(ReadRouter, CursorContinuationGoesToTheIssuingNode) {
  ClientReadState state;
  const auto view = nodes({{false, true, 100, 0}, {false, true, 100, 9}});
  state.cursor_node = 2;
  ReadRequest request = with(ReadPolicy::kPreferReplica);
  request.cursor_continuation = true;
  EXPECT_EQ(choose_read_node(view, 0, request, state).node, 2);
}

TEST(ReadRouter, NoPrimaryKnownIsAClearError) {
  ClientReadState state;
  const std::vector<NodeView> view{{false, false, -1, 0}};
  const ReadChoice choice = choose_read_node(view, -1, with(ReadPolicy::kPreferReplica), state);
  EXPECT_EQ(choice.node, -1);
  EXPECT_FALSE(choice.error.empty());
}

// prefer-local-zone (issue #19): replicas in Funnel's zone, then other replicas, then the
// primary, within the health and read-your-writes rules. Each row: the replicas (readable,
// offset, outstanding, local zone), the offset the client needs, the node expected.
struct ZoneCase {
  const char* name;
  std::vector<NodeView> replicas;
  std::int64_t needed_offset;
  int expected;
  bool fell_back;
};

NodeView replica(bool readable, std::uint32_t outstanding, bool local, std::int64_t offset = 100) {
  NodeView view;
  view.readable = readable;
  view.offset = offset;
  view.outstanding = outstanding;
  view.local_zone = local;
  return view;
}

TEST(ReadRouter, PreferLocalZoneTable) {
  const std::vector<ZoneCase> cases = {
      {"a busy local replica beats an idle remote one",
       {replica(true, 0, false), replica(true, 9, true)},
       -1,
       2,
       false},
      {"among local replicas the least loaded",
       {replica(true, 5, true), replica(true, 0, false), replica(true, 2, true)},
       -1,
       3,
       false},
      {"no local replica: the least loaded remote one",
       {replica(true, 4, false), replica(true, 1, false)},
       -1,
       2,
       false},
      {"an unhealthy local replica is skipped",
       {replica(false, 0, true), replica(true, 7, false)},
       -1,
       2,
       false},
      {"a local replica behind the client's writes is skipped",
       {replica(true, 0, true, 90), replica(true, 3, false, 150)},
       100,
       2,
       false},
      {"no healthy replica: the primary", {replica(false, 0, true)}, -1, 0, true},
      {"every replica behind the client's writes: the primary",
       {replica(true, 0, true, 90)},
       100,
       0,
       true},
  };
  for (const ZoneCase& c : cases) {
    std::vector<NodeView> view{NodeView{true, false, 200, 0, true}};
    view.insert(view.end(), c.replicas.begin(), c.replicas.end());
    ClientReadState state;
    const ReadChoice choice =
        choose_read_node(view, 0, with(ReadPolicy::kPreferLocalZone, 1, c.needed_offset), state);
    EXPECT_EQ(choice.node, c.expected) << c.name;
    EXPECT_EQ(choice.fell_back, c.fell_back) << c.name;
  }
}

TEST(ReadRouter, PreferLocalZoneLeavesARemoteReplicaWhenHealthChanges) {
  ClientReadState state;
  auto view = nodes({replica(true, 0, false), replica(false, 0, true)});
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kPreferLocalZone, 1), state).node, 1);
  view[2].readable = true;  // the local replica is back: a new health epoch is published
  EXPECT_EQ(choose_read_node(view, 0, with(ReadPolicy::kPreferLocalZone, 2), state).node, 2);
}

TEST(ReadRouter, PreferLocalZoneIsNamed) {
  EXPECT_EQ(read_policy_from_name("prefer-local-zone"), ReadPolicy::kPreferLocalZone);
  EXPECT_EQ(read_policy_name(ReadPolicy::kPreferLocalZone), "prefer-local-zone");
}

}  // namespace
}  // namespace funnel::routing
