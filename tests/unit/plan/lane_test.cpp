// The lane barrier's decisions (no I/O): a request for another backend link waits only while the
// client has requests in flight on the current one.
#include "plan/lane.hpp"

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

}  // namespace
}  // namespace funnel::plan
