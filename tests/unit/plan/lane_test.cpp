// The lane barrier's decisions (no I/O): a request for another backend link waits only while the
// client has requests in flight on the current one.
#include "plan/lane.hpp"

#include "plan/session_state.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace funnel::plan {
namespace {

TEST(Lane, SharedAndPinnedLanesDiffer) {
  EXPECT_EQ(Lane::shared(0), Lane::shared(0));
  EXPECT_NE(Lane::shared(0), Lane::shared(1));
  EXPECT_NE(Lane::shared(0), Lane::pinned(0));
  EXPECT_NE(Lane::pinned(1), Lane::pinned(2));  // two leases, maybe two links
  EXPECT_TRUE(Lane::pinned(3).is_pinned());
  EXPECT_FALSE(Lane::shared(3).is_pinned());
}

TEST(LaneTracker, NothingInFlightNeverWaits) {
  LaneTracker lanes;
  EXPECT_FALSE(lanes.must_wait(Lane::shared(0)));
  EXPECT_FALSE(lanes.must_wait(Lane::pinned(1)));
  EXPECT_FALSE(lanes.must_wait(Lane::shared(5)));
}

TEST(LaneTracker, SameLaneFlowsAndAnotherWaitsForTheLastReply) {
  LaneTracker lanes;
  lanes.sent(Lane::shared(0));
  lanes.sent(Lane::shared(0));
  EXPECT_FALSE(lanes.must_wait(Lane::shared(0)));
  EXPECT_TRUE(lanes.must_wait(Lane::pinned(1)));
  EXPECT_TRUE(lanes.must_wait(Lane::shared(1)));
  EXPECT_FALSE(lanes.answered());
  EXPECT_TRUE(lanes.must_wait(Lane::pinned(1)));
  EXPECT_TRUE(lanes.answered());  // the last one: the held request may go
  EXPECT_FALSE(lanes.must_wait(Lane::pinned(1)));
  lanes.sent(Lane::pinned(1));
  EXPECT_EQ(lanes.current(), Lane::pinned(1));
  EXPECT_TRUE(lanes.must_wait(Lane::shared(0)));  // and back
  EXPECT_EQ(lanes.in_flight(), 1u);
}

TEST(LaneTracker, AStrayAnswerDoesNotUnderflow) {
  LaneTracker lanes;
  EXPECT_TRUE(lanes.answered());
  EXPECT_EQ(lanes.in_flight(), 0u);
}

// The pool layout's 7 bits repeat: a client with a request in flight on one layout while the
// worker's layout went round (128 reloads of connections_per_node) must still wait at the lane
// barrier. Before session 11 the worker did ++layout: at the 128th bump the new lane equalled
// the old one and must_wait was false (the request could overtake the one in flight).
TEST(PoolLayout, ARepeatedLayoutNeverLetsARequestPassTheOneInFlight) {
  SessionState state;
  state.db = 3;
  state.pool_layout = 5;
  state.lanes.sent(state.shared_lane());
  ASSERT_EQ(state.layout_in_flight(), 5);
  std::bitset<kPoolLayouts> in_flight;
  in_flight.set(static_cast<std::size_t>(state.layout_in_flight()));
  std::uint8_t layout = 5;
  for (unsigned bump = 1; bump <= 3 * kPoolLayouts; ++bump) {
    layout = next_pool_layout(layout, in_flight);
    SessionState next = state;
    next.pool_layout = layout;
    EXPECT_TRUE(state.lanes.must_wait(next.shared_lane())) << "bump " << bump;
  }
}

TEST(PoolLayout, NextLayoutSkipsEveryValueInFlightAndWraps) {
  struct Case {
    std::uint8_t current;
    std::vector<unsigned> busy;
    std::uint8_t want;
  };
  const Case cases[] = {
      {0, {}, 1},        {126, {}, 127}, {127, {}, 0},  // wraps
      {127, {0, 1}, 2},                                 // wraps past busy values
      {4, {5, 6, 8}, 7}, {9, {10}, 11},
  };
  for (const Case& c : cases) {
    std::bitset<kPoolLayouts> busy;
    for (unsigned b : c.busy) busy.set(b);
    EXPECT_EQ(next_pool_layout(c.current, busy), c.want) << int{c.current};
  }
  std::bitset<kPoolLayouts> all;
  all.set();
  EXPECT_EQ(next_pool_layout(7, all), 8);  // every value in flight: the next one anyway
}

TEST(PoolLayout, OnlySharedRequestsInFlightHoldALayout) {
  SessionState state;
  state.pool_layout = 9;
  EXPECT_EQ(state.layout_in_flight(), -1);  // nothing in flight
  state.lanes.sent(Lane::pinned(1));
  EXPECT_EQ(state.layout_in_flight(), -1);  // a pinned lane has no layout
  state.lanes.answered();
  state.lanes.sent(state.shared_lane());
  EXPECT_EQ(state.layout_in_flight(), 9);
}

}  // namespace
}  // namespace funnel::plan
