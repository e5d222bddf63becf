// The takeover's spread close (server/drain_schedule.hpp): how many idle clients are due by a
// point in the window, and which may be closed now.
#include "server/drain_schedule.hpp"

#include <gtest/gtest.h>

namespace funnel::server {
namespace {

struct DueCase {
  std::size_t clients;
  std::int64_t window_ms;
  std::int64_t elapsed_ms;
  std::size_t due;
};

TEST(DrainScheduleTest, ClosesAreSpreadOnAStraightLineOverTheWindow) {
  const DueCase cases[] = {
      {1000, 30000, 0, 0},         // nothing at the opening
      {1000, 30000, 100, 4},       // 3.33 rounded up: the first tick closes a few
      {1000, 30000, 15000, 500},   // half way, half of them
      {1000, 30000, 29900, 997},   //
      {1000, 30000, 30000, 1000},  // every one at the end
      {1000, 30000, 90000, 1000},  // and never more
      {3, 30000, 1, 1},            // few clients: the first goes at once
      {3, 30000, 10000, 1},        //
      {3, 30000, 10001, 2},        //
      {0, 30000, 15000, 0},        // no clients
      {50, 0, 0, 50},              // window 0: all at once
      {50, 0, 5, 50},              //
      {5'000'000, 3'600'000, 1'800'000, 2'500'000},
  };
  for (const DueCase& c : cases) {
    const DrainSchedule schedule(c.clients, c.window_ms);
    EXPECT_EQ(schedule.due(c.elapsed_ms), c.due)
        << c.clients << " clients, window " << c.window_ms << " ms, at " << c.elapsed_ms;
  }
}

TEST(DrainScheduleTest, OverAtTheEndOfTheWindow) {
  EXPECT_FALSE(DrainSchedule(10, 1000).over(999));
  EXPECT_TRUE(DrainSchedule(10, 1000).over(1000));
  EXPECT_TRUE(DrainSchedule(10, 0).over(0));
}

struct CloseCase {
  ClientActivity activity;
  bool owed;
  bool window_over;
  bool close;
};

TEST(DrainScheduleTest, OnlyIdleClientsCloseInTheWindowStatefulOnesAtItsEndBusyOnesNever) {
  using A = ClientActivity;
  const CloseCase cases[] = {
      {A::kIdle, false, false, false},   {A::kIdle, true, false, true},
      {A::kIdle, false, true, true},     {A::kBusy, true, false, false},
      {A::kBusy, true, true, false},     {A::kStateful, true, false, false},
      {A::kStateful, false, true, true}, {A::kStateful, true, true, true},
  };
  for (const CloseCase& c : cases) {
    EXPECT_EQ(close_now(c.activity, c.owed, c.window_over), c.close)
        << static_cast<int>(c.activity) << " owed " << c.owed << " over " << c.window_over;
  }
}

}  // namespace
}  // namespace funnel::server
