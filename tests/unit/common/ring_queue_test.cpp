// RingQueue: FIFO order across wrap-around and growth; storage released when asked.
#include "common/ring_queue.hpp"

#include <string>

#include <gtest/gtest.h>

namespace funnel::common {
namespace {

TEST(RingQueue, FifoAcrossWrapAroundAndGrowth) {
  RingQueue<int> queue;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < round % 13 + 1; ++i) queue.push_back(next_in++);
    for (int i = 0; i < round % 7 + 1 && !queue.empty(); ++i) {
      ASSERT_EQ(queue.front(), next_out++);
      queue.pop_front();
    }
  }
  while (!queue.empty()) {
    ASSERT_EQ(queue.front(), next_out++);
    queue.pop_front();
  }
  EXPECT_EQ(next_in, next_out);
}

TEST(RingQueue, IndexingAndBackFollowInsertionOrder) {
  RingQueue<std::string> queue;
  queue.push_back("a");
  queue.push_back("b");
  queue.pop_front();
  queue.push_back("c");
  EXPECT_EQ(queue[0], "b");
  EXPECT_EQ(queue[1], "c");
  EXPECT_EQ(queue.back(), "c");
}

TEST(RingQueue, ReleasesStorageOnlyWhenEmpty) {
  RingQueue<int> queue;
  queue.push_back(1);
  queue.release_if_empty();
  EXPECT_GT(queue.capacity(), 0u);
  queue.pop_front();
  queue.release_if_empty();
  EXPECT_EQ(queue.capacity(), 0u);
  queue.push_back(2);
  EXPECT_EQ(queue.front(), 2);
}

}  // namespace
}  // namespace funnel::common
