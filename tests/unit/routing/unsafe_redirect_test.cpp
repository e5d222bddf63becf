// judge_unsafe_redirect: a redirect answering a script or a MULTI block is followed only when a
// map read after the reply proves the node refused before running it (unsafe_redirect.hpp).
#include "routing/unsafe_redirect.hpp"

#include <gtest/gtest.h>

#include "routing/key_slot.hpp"

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
      // kind, followed_before, slot_is_requests, -, -, -, target_listed, probed, probe_confirms
      {"ASK to a node the map does not list: wait for a map read (a node just added)",
       {K::kAsk, false, true, false, false, false, false, false, false},
       V::kWaitForMap},
      {"ASK to a node a map read after the reply does not list: never followed, never probed",
       {K::kAsk, false, true, true, false, false, false, false, false},
       V::kDeliver},
      {"ASK to a node a map read after the reply lists: probe",
       {K::kAsk, false, true, true, false, false, true, false, false},
       V::kProbe},
      {"ASK naming another slot than the script's keys': forged",
       {K::kAsk, false, false, false, false, false, true, false, false},
       V::kDeliver},
      {"ASK answering a request that already followed a redirect",
       {K::kAsk, true, true, false, false, false, true, false, false},
       V::kDeliver},
      {"ASK to a listed node, not probed yet: probe the answering node",
       {K::kAsk, false, true, false, false, false, true, false, false},
       V::kProbe},
      {"the probe got the same ASK: the keys were gone, Redis refused before running it",
       {K::kAsk, false, true, false, false, false, true, true, true},
       V::kFollowAsking},
      {"the probe found a key (or any other answer): the script's own ASK",
       {K::kAsk, false, true, false, false, false, true, true, false},
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

TEST(UnsafeRedirect, KeysProbe) {
  const struct {
    const char* name;
    std::string_view call;
    std::optional<std::uint16_t> slot;
    std::string_view probe;
  } cases[] = {
      {"EVAL with one key", "*4\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n1\r\n$3\r\nfoo\r\n",
       key_slot("foo"), "*2\r\n$6\r\nEXISTS\r\n$3\r\nfoo\r\n"},
      {"FCALL with two keys of one slot and an argument",
       "*6\r\n$5\r\nFCALL\r\n$1\r\nf\r\n$1\r\n2\r\n$4\r\n{t}a\r\n$4\r\n{t}b\r\n$1\r\nv\r\n",
       key_slot("t"), "*3\r\n$6\r\nEXISTS\r\n$4\r\n{t}a\r\n$4\r\n{t}b\r\n"},
      {"keys of two slots (Redis answers CROSSSLOT)",
       "*5\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\nb\r\n", std::nullopt, ""},
      {"no key", "*3\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n0\r\n", std::nullopt, ""},
      {"numkeys past the arguments", "*4\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n2\r\n$3\r\nfoo\r\n",
       std::nullopt, ""},
      {"numkeys not a number", "*4\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$2\r\n1x\r\n$3\r\nfoo\r\n",
       std::nullopt, ""},
      {"incomplete", "*4\r\n$4\r\nEVAL\r\n", std::nullopt, ""},
  };
  for (const auto& c : cases) {
    std::string probe;
    EXPECT_EQ(encode_keys_probe(c.call, probe), c.slot) << c.name;
    if (c.slot) {
      EXPECT_EQ(probe, c.probe) << c.name;
    }
  }
}

TEST(UnsafeRedirect, ProbeConfirmsAsk) {
  const std::string_view ask = "-ASK 12706 127.0.0.1:27102\r\n";
  EXPECT_TRUE(probe_confirms_ask(ask, "-ASK 12706 127.0.0.1:27102\r\n"));
  EXPECT_FALSE(probe_confirms_ask(ask, ":1\r\n")) << "a key is on the node";
  EXPECT_FALSE(probe_confirms_ask(ask, ":0\r\n")) << "not migrating: the script forged it";
  EXPECT_FALSE(probe_confirms_ask(ask, "-ASK 12706 127.0.0.1:27103\r\n")) << "another target";
  EXPECT_FALSE(probe_confirms_ask(ask, "-ASK 12707 127.0.0.1:27102\r\n")) << "another slot";
  EXPECT_TRUE(probe_confirms_ask(ask, "-MOVED 12706 127.0.0.1:27102\r\n"))
      << "the migration ended: the slot's keys had all left the node";
  EXPECT_FALSE(probe_confirms_ask(ask, "-MOVED 12706 127.0.0.1:27103\r\n")) << "moved elsewhere";
  EXPECT_FALSE(
      probe_confirms_ask(ask, "-TRYAGAIN Multiple keys request during rehashing of slot\r\n"));
  EXPECT_FALSE(probe_confirms_ask(ask, "-ERR funnel: backend 127.0.0.1:27101 timed out\r\n"));
  EXPECT_FALSE(
      probe_confirms_ask("-MOVED 12706 127.0.0.1:27102\r\n", "-MOVED 12706 127.0.0.1:27102\r\n"));
}

}  // namespace
}  // namespace funnel::routing
