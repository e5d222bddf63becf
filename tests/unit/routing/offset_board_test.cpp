// OffsetBoard: which primary offset a read after a write must wait for, and node offsets.
#include "routing/offset_board.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace funnel::routing {
namespace {

TEST(OffsetBoard, NoPollAfterTheWriteMeansUnknown) {
  OffsetBoard board;
  EXPECT_EQ(board.primary_offset_after(0), -1);
  board.record_primary_poll(100, 5000);
  EXPECT_EQ(board.primary_offset_after(100), -1);  // sent at the same instant: not after
  EXPECT_EQ(board.primary_offset_after(150), -1);
}

TEST(OffsetBoard, TakesTheEarliestPollSentAfterTheWrite) {
  OffsetBoard board;
  board.record_primary_poll(100, 5000);
  board.record_primary_poll(200, 5100);
  board.record_primary_poll(300, 5200);
  EXPECT_EQ(board.primary_offset_after(50), 5000);
  EXPECT_EQ(board.primary_offset_after(150), 5100);
  EXPECT_EQ(board.primary_offset_after(250), 5200);
  EXPECT_EQ(board.primary_offset_after(300), -1);
}

TEST(OffsetBoard, OldWritesUseTheOldestRememberedPoll) {
  OffsetBoard board;
  for (std::int64_t i = 1; i <= 200; ++i) board.record_primary_poll(i * 10, i * 100);
  // Polls 1..136 are gone from the ring; the oldest kept (137) still covers a write at time 5.
  EXPECT_EQ(board.primary_offset_after(5), 137 * 100);
  EXPECT_EQ(board.primary_offset_after(1995), 200 * 100);
}

TEST(OffsetBoard, ForgettingPollsAfterAFailover) {
  OffsetBoard board;
  board.record_primary_poll(100, 5000);
  board.forget_primary_polls();
  EXPECT_EQ(board.primary_offset_after(0), -1);
  board.record_primary_poll(200, 10);
  EXPECT_EQ(board.primary_offset_after(0), 10);
}

TEST(OffsetBoard, NodeOffsetsStartUnknownAndIgnoreIdsOutOfRange) {
  OffsetBoard board;
  EXPECT_EQ(board.node_offset(3), -1);
  board.set_node_offset(3, 42);
  EXPECT_EQ(board.node_offset(3), 42);
  board.set_node_offset(OffsetBoard::kMaxNodes, 7);
  EXPECT_EQ(board.node_offset(OffsetBoard::kMaxNodes), -1);
}

// A reader never sees a torn ring: every offset it finds was recorded with a send time after
// the one it asked about, and offsets only grow with send times here.
TEST(OffsetBoard, ConcurrentReadersSeeConsistentPolls) {
  OffsetBoard board;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::int64_t i = 1; i <= 20000; ++i) board.record_primary_poll(i, i * 2);
    done = true;
  });
  std::int64_t checks = 0;
  while (!done.load() && checks < 2'000'000) {
    const std::int64_t after = checks % 20000;
    const std::int64_t found = board.primary_offset_after(after);
    if (found >= 0) {
      ASSERT_GT(found, after * 2);
    }
    ++checks;
  }
  writer.join();
}

}  // namespace
}  // namespace funnel::routing
