// ReloadBarrier (server/reload_apply.hpp): the reload's reply goes once the reload and every
// worker sent the snapshot have arrived, exactly once, or at the bound with the count missing.
#include "server/reload_apply.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace funnel::server {
namespace {

struct Outcome {
  int calls = 0;
  bool all = false;
  unsigned waiting = 0;
};

ReloadBarrierPtr barrier_into(Outcome& outcome) {
  return std::make_shared<ReloadBarrier>([&outcome](const ReloadBarrier& b, bool all) {
    ++outcome.calls;
    outcome.all = all;
    outcome.waiting = b.waiting();
  });
}

TEST(ReloadBarrier, FiresOnceTheReloadAndEveryWorkerArrived) {
  struct Row {
    unsigned workers;
    unsigned arrivals;  // the reload's own included
    int calls;
  };
  for (const Row& row : {Row{0, 1, 1}, Row{3, 3, 0}, Row{3, 4, 1}, Row{1, 1, 0}}) {
    Outcome outcome;
    auto barrier = barrier_into(outcome);
    barrier->expect(row.workers);
    for (unsigned i = 0; i < row.arrivals; ++i) barrier->arrive();
    EXPECT_EQ(outcome.calls, row.calls) << row.workers << " " << row.arrivals;
    if (row.calls == 1) {
      EXPECT_TRUE(outcome.all);
    }
  }
}

TEST(ReloadBarrier, TheBoundFiresOnceWithWhatIsMissing) {
  Outcome outcome;
  auto barrier = barrier_into(outcome);
  barrier->expect(4);
  barrier->arrive();
  barrier->arrive();
  barrier->expire();
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_FALSE(outcome.all);
  EXPECT_EQ(outcome.waiting, 3u);
  for (int i = 0; i < 3; ++i) barrier->arrive();  // the late workers: no second reply
  barrier->expire();
  EXPECT_EQ(outcome.calls, 1);
}

TEST(ReloadBarrier, WorkersOnTheirOwnThreads) {
  Outcome outcome;
  auto barrier = barrier_into(outcome);
  barrier->expect(8);
  std::vector<std::thread> workers;
  for (int i = 0; i < 8; ++i) workers.emplace_back([&] { barrier->arrive(); });
  barrier->arrive();
  for (auto& t : workers) t.join();
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_TRUE(outcome.all);
}

}  // namespace
}  // namespace funnel::server
