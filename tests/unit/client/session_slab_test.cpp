// SessionSlab: a closed session's block is reused by the next client, and the blocks kept follow
// the fleet (at most max(64, live / 4)), so a burst that leaves gives its memory back (issue #20).
#include "client/session_slab.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace funnel::client {
namespace {

constexpr std::size_t kBlock = 416;  // sizeof(ClientSession) in a release build, 2026-12

TEST(SessionSlab, AClosedSessionsBlockServesTheNextClient) {
  SessionSlab slab;
  void* first = slab.take(kBlock);
  slab.give(first, 0);
  EXPECT_EQ(slab.take(kBlock), first);
  slab.give(first, 0);
  EXPECT_EQ(slab.allocated(), 1u);
  EXPECT_EQ(slab.freed(), 0u);
}

TEST(SessionSlab, ConnectionPerInvocationAllocatesOnlyTheFirstBlocks) {
  // 50 clients at a time, each closing and being replaced, 1,000 times: 50 blocks in all.
  SessionSlab slab;
  std::vector<void*> live;
  for (int i = 0; i < 50; ++i) live.push_back(slab.take(kBlock));
  for (int round = 0; round < 1000; ++round) {
    void* leaving = live[round % 50];
    slab.give(leaving, 49);
    live[round % 50] = slab.take(kBlock);
  }
  EXPECT_EQ(slab.allocated(), 50u);
  EXPECT_EQ(slab.freed(), 0u);
  for (void* block : live) slab.give(block, 0);
}

struct BoundCase {
  std::size_t peak;        // sessions open at once
  std::size_t kept_after;  // blocks kept once every one of them closed
};

TEST(SessionSlab, ABurstThatLeavesGivesAllButABoundBack) {
  const BoundCase cases[] = {
      {10, 10},       // a few clients: all kept (under kMinKept)
      {64, 64},       // exactly kMinKept
      {100, 64},      // the rest freed as they close
      {10000, 2000},  // kept while under a quarter of those still open...
  };
  for (const BoundCase& c : cases) {
    SessionSlab slab;
    std::vector<void*> live;
    for (std::size_t i = 0; i < c.peak; ++i) live.push_back(slab.take(kBlock));
    while (!live.empty()) {
      void* block = live.back();
      live.pop_back();
      slab.give(block, live.size());
    }
    EXPECT_EQ(slab.kept(), c.kept_after) << "peak " << c.peak;
    EXPECT_EQ(slab.freed(), c.peak - c.kept_after) << "peak " << c.peak;
    slab.trim(0);  // ...and the worker's tick trims to the bound for an empty fleet
    EXPECT_EQ(slab.kept(), std::min<std::size_t>(c.kept_after, SessionSlab::kMinKept))
        << "peak " << c.peak;
  }
}

TEST(SessionSlab, TrimKeepsAQuarterOfALargeFleet) {
  SessionSlab slab;
  std::vector<void*> blocks;
  for (int i = 0; i < 3000; ++i) blocks.push_back(slab.take(kBlock));
  for (void* block : blocks) slab.give(block, 8000);  // bound 2,000: the rest is freed
  EXPECT_EQ(slab.kept(), 2000u);
  slab.trim(4000);
  EXPECT_EQ(slab.kept(), 1000u);
  slab.trim(4000);
  EXPECT_EQ(slab.kept(), 1000u);
  EXPECT_EQ(slab.freed(), 2000u);
}

#if defined(__SANITIZE_ADDRESS__)
// A kept block is poisoned: a session used after its release is still an AddressSanitizer
// report (as a use after free was before the slab), not a silent write into the next client's.
TEST(SessionSlabDeathTest, AUseOfAReleasedBlockIsReportedUnderAddressSanitizer) {
  SessionSlab slab;
  auto* block = static_cast<char*>(slab.take(kBlock));
  slab.give(block, 0);
  EXPECT_DEATH(static_cast<void>(*static_cast<volatile char*>(block + 8)), "use-after-poison");
}
#endif

}  // namespace
}  // namespace funnel::client
