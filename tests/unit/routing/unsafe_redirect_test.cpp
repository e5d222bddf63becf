// judge_unsafe_redirect: a redirect answering a script or a MULTI block is followed only when a
// map read after the reply proves the node refused before running it (unsafe_redirect.hpp).
#include "routing/unsafe_redirect.hpp"

#include <gtest/gtest.h>

namespace funnel::routing {
namespace {

TEST(UnsafeRedirect, Table) {
  using K = RedirectKind;
  using V = UnsafeVerdict;
  const struct {
    const char* name;
    UnsafeRedirect facts;
    UnsafeVerdict verdict;
  } cases[] = {
      // kind, followed_before, slot_is_requests, map_after, answerer_owns, target_owns
      {"genuine MOVED after a migration, fresh map: retried on the new owner",
       {K::kMoved, false, true, true, false, true},
       V::kFollow},
      {"MOVED, map not yet read after the reply: wait for one",
       {K::kMoved, false, true, false, false, false},
       V::kWaitForMap},
      {"forged MOVED from a script on the owner: the answerer still owns the slot",
       {K::kMoved, false, true, true, true, false},
       V::kDeliver},
      {"forged MOVED naming the owner itself (answerer owns it, so does the 'target')",
       {K::kMoved, false, true, true, true, true},
       V::kDeliver},
      {"forged MOVED to an address the map does not give the slot",
       {K::kMoved, false, true, true, false, false},
       V::kDeliver},
      {"forged MOVED naming another slot than the script's keys'",
       {K::kMoved, false, false, true, false, true},
       V::kDeliver},
      {"already followed once: the second MOVED reaches the client",
       {K::kMoved, true, true, true, false, true},
       V::kDeliver},
      {"ASK cannot be proven (the answerer owns the slot while migrating)",
       {K::kAsk, false, true, true, false, true},
       V::kDeliver},
      {"TRYAGAIN: may come from the script",
       {K::kTryAgain, false, true, true, false, true},
       V::kDeliver},
      {"CLUSTERDOWN: may come from the script",
       {K::kClusterDown, false, true, true, false, true},
       V::kDeliver},
      {"not a redirect", {K::kNone, false, true, true, false, true}, V::kDeliver},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(judge_unsafe_redirect(c.facts), c.verdict) << c.name;
  }
}

}  // namespace
}  // namespace funnel::routing
