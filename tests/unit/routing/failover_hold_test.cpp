// The failover hold's rules as tables (routing/failover_hold.hpp).
//
// The sequences below are what redis-sentinel 7.0.15 published (PSUBSCRIBE *, one sentinel,
// down-after-milliseconds 1000, one primary and one replica on 127.0.0.1), recorded on this
// machine; times are from the trigger:
//
// SENTINEL FAILOVER mm (planned):
//     +2 ms +new-epoch "1"                      (no master in the payload: not ours to read)
//     +5    +try-failover "master mm 127.0.0.1 27101"
//    +33    +vote-for-leader "<runid> 1"
//    +35    +elected-leader "master mm ..."
//    +37    +failover-state-select-slave "master mm ..."
//    +92    +selected-slave "slave 127.0.0.1:27102 127.0.0.1 27102 @ mm 127.0.0.1 27101"
//    +94    +failover-state-send-slaveof-noone "slave ... @ mm 127.0.0.1 27101"
//   +155    +failover-state-wait-promotion "slave ... @ mm 127.0.0.1 27101"
//   +312    -role-change "slave ... new reported role is master"   (the replica is promoted)
//   +314    +promoted-slave "slave ... @ mm 127.0.0.1 27101"
//   +317    +failover-state-reconf-slaves "master mm 127.0.0.1 27101"
//   +367    +failover-end "master mm 127.0.0.1 27101"
//   +369    +switch-master "mm 127.0.0.1 27101 127.0.0.1 27102"
//   +372    +slave "slave 127.0.0.1:27101 ... @ mm 127.0.0.1 27102"
//  +1266    +convert-to-slave "slave 127.0.0.1:27101 ... @ mm 127.0.0.1 27102" (old primary
//  demoted)
// Between the promotion (+312) and the demotion (+1266) both nodes accept writes: the old
// primary's are discarded when it resyncs. Funnel holds from +try-failover (+5), so none of the
// writes it acknowledges in that window went to the old primary.
//
// The primary killed (SIGKILL):
//  +1134 ms +sdown "master mm 127.0.0.1 27102"
//  +1141    +odown "master mm 127.0.0.1 27102 #quorum 1/1"
//  +1144    +new-epoch "2"
//  +1147    +try-failover "master mm 127.0.0.1 27102"
//  +1150    +vote-for-leader, +elected-leader, +failover-state-select-slave
//  +1204    +selected-slave, +failover-state-send-slaveof-noone, (+1261)
//  +failover-state-wait-promotion +2152    -role-change, +promoted-slave,
//  +failover-state-reconf-slaves +2229    +failover-end +2237    +switch-master "mm 127.0.0.1 27102
//  127.0.0.1 27101"
// Funnel's links drop at +0: with a source that can fail over, requests wait from then.
#include "routing/failover_hold.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace funnel::routing {
namespace {

using S = FailoverSignal;

TEST(FailoverHold, SentinelChannels) {
  const std::vector<std::pair<std::string, S>> rows = {
      {"+sdown", S::kSuspected},
      {"+odown", S::kDown},
      {"+new-epoch", S::kNone},
      {"+try-failover", S::kStarted},
      {"+vote-for-leader", S::kNone},
      {"+elected-leader", S::kStarted},
      {"+failover-state-select-slave", S::kStarted},
      {"+selected-slave", S::kStarted},
      {"+failover-state-send-slaveof-noone", S::kStarted},
      {"+failover-state-wait-promotion", S::kStarted},
      {"-role-change", S::kNone},
      {"+promoted-slave", S::kPromoted},
      {"+failover-state-reconf-slaves", S::kPromoted},
      {"+failover-end", S::kPromoted},
      {"+switch-master", S::kPromoted},
      {"+slave", S::kNone},
      {"+convert-to-slave", S::kNone},
      {"-sdown", S::kRecovered},
      {"-odown", S::kRecovered},
      {"-failover-abort-not-elected", S::kAborted},
      {"-failover-abort-no-good-slave", S::kAborted},
      {"+tilt", S::kNone},
  };
  for (const auto& [channel, signal] : rows) {
    EXPECT_EQ(classify_sentinel_event(channel), signal) << channel;
  }
}

TEST(FailoverHold, DecisionTable) {
  const HoldSettings settings{.hold_ms = 5000, .request_timeout_ms = 3000};
  const HoldSettings off{.hold_ms = 0, .request_timeout_ms = 3000};
  struct Row {
    const char* name;
    PrimaryFacts facts;
    HoldSettings settings;
    bool read;
    common::Millis now;  // the request was first held at 1000
    HoldVerdict verdict;
    common::Millis until;
  };
  const PrimaryFacts healthy{};
  const PrimaryFacts links_down{.links_down = true};
  const PrimaryFacts single_down{.links_down = true, .can_fail_over = false};
  const PrimaryFacts started{.signal = S::kStarted};
  const PrimaryFacts promoted{.signal = S::kPromoted};
  const PrimaryFacts sdown_up{.signal = S::kSuspected};
  const PrimaryFacts odown_down{.links_down = true, .signal = S::kDown};
  const PrimaryFacts started_readable{.signal = S::kStarted, .replica_readable = true};
  const std::vector<Row> rows = {
      {"healthy primary: send", healthy, settings, false, 1000, HoldVerdict::kSend, 0},
      {"links down, Sentinel can promote: hold (request timeout caps the hold)", links_down,
       settings, false, 1000, HoldVerdict::kHold, 4000},
      {"links down, still within the hold", links_down, settings, false, 3999, HoldVerdict::kHold,
       4000},
      {"links down, hold over: fail", links_down, settings, false, 4000, HoldVerdict::kFail, 4000},
      {"links down, a single node nothing replaces: send (its error at once)", single_down,
       settings, false, 1000, HoldVerdict::kSend, 0},
      {"failover started, links up: hold (the old primary is being replaced)", started, settings,
       false, 1000, HoldVerdict::kHold, 4000},
      {"promoted, not confirmed yet: hold", promoted, settings, false, 2000, HoldVerdict::kHold,
       4000},
      {"+sdown only, our links up: send", sdown_up, settings, false, 1000, HoldVerdict::kSend, 0},
      {"+odown and links down: hold", odown_down, settings, false, 1000, HoldVerdict::kHold, 4000},
      {"hold off: send as before", started, off, false, 1000, HoldVerdict::kSend, 0},
      {"a read a replica can serve: send", started_readable, settings, true, 1000,
       HoldVerdict::kSend, 0},
      {"a read with no readable replica: hold", started, settings, true, 1000, HoldVerdict::kHold,
       4000},
      {"a write while replicas are readable: hold", started_readable, settings, false, 1000,
       HoldVerdict::kHold, 4000},
      {"hold shorter than the request timeout", links_down,
       HoldSettings{.hold_ms = 500, .request_timeout_ms = 3000}, false, 1200, HoldVerdict::kHold,
       1500},
  };
  for (const Row& row : rows) {
    const HoldDecision d = decide(row.facts, row.settings, row.read, 1000, row.now);
    EXPECT_EQ(d.verdict, row.verdict) << row.name;
    if (row.verdict != HoldVerdict::kSend) {
      EXPECT_EQ(d.until, row.until) << row.name;
    }
  }
}

// Feeds a recorded sequence (channel, ms) and checks hold_until after each.
struct Step {
  const char* channel;
  common::Millis at;
  bool holding;  // hold_until(at) != 0 after it
};

void play(FailoverWatch& watch, const std::vector<Step>& steps) {
  for (const Step& step : steps) {
    watch.hear(classify_sentinel_event(step.channel), step.at);
    EXPECT_EQ(watch.hold_until(step.at) != 0, step.holding) << step.channel << " at " << step.at;
  }
}

TEST(FailoverHold, PlannedFailoverHoldsFromTryFailover) {
  FailoverWatch watch(5000);
  play(watch, {{"+new-epoch", 2, false},
               {"+try-failover", 5, true},
               {"+elected-leader", 35, true},
               {"+selected-slave", 92, true},
               {"+failover-state-wait-promotion", 155, true},
               {"+promoted-slave", 314, true},
               {"+failover-end", 367, true},
               {"+switch-master", 369, true}});
  EXPECT_EQ(watch.hold_until(369), 369 + 5000);
  watch.primary_confirmed();  // ROLE of 27102 says master, workers switched
  EXPECT_EQ(watch.hold_until(400), 0);
  watch.hear(classify_sentinel_event("+slave"), 372);
  EXPECT_EQ(watch.hold_until(400), 0);
}

TEST(FailoverHold, KilledPrimarySignalsBeforeTheFailover) {
  FailoverWatch watch(5000);
  // +sdown / +odown alone do not hold (Funnel's own links decide that, see DecisionTable).
  play(watch, {{"+sdown", 1134, false},
               {"+odown", 1141, false},
               {"+try-failover", 1147, true},
               {"+promoted-slave", 2152, true},
               {"+switch-master", 2237, true}});
}

TEST(FailoverHold, AbortAndRecoveryEndTheHoldUntilPromotion) {
  FailoverWatch watch(5000);
  play(watch, {{"+try-failover", 10, true}, {"-failover-abort-no-good-slave", 20, false}});
  play(watch, {{"+try-failover", 30, true}, {"-odown", 40, false}});
  // After a promotion only a confirmed primary (or silence) ends it.
  play(watch, {{"+try-failover", 50, true}, {"+promoted-slave", 60, true}, {"-sdown", 70, true}});
}

TEST(FailoverHold, SilenceEndsTheHold) {
  FailoverWatch watch(1000);
  play(watch, {{"+try-failover", 100, true}, {"+selected-slave", 600, true}});
  EXPECT_EQ(watch.hold_until(1599), 1600);
  EXPECT_EQ(watch.hold_until(1600), 0);
  EXPECT_EQ(watch.signal(1600), S::kNone);
  FailoverWatch off(0);
  off.hear(S::kStarted, 10);
  EXPECT_EQ(off.hold_until(10), 0);
}

TEST(FailoverHold, GateHoldsUntilTheWorkerHasTheNewPrimary) {
  FailoverGate gate;
  gate.configure(5000, true);
  const common::Millis now = common::coarse_now_ms();
  EXPECT_FALSE(gate.holding(1));
  gate.links_down(now);
  EXPECT_TRUE(gate.holding(1));
  gate.links_up();
  EXPECT_FALSE(gate.holding(1));
  gate.announce(now + 5000);
  EXPECT_TRUE(gate.holding(1));
  EXPECT_TRUE(gate.announced(now));
  gate.confirm(2);
  EXPECT_TRUE(gate.holding(1)) << "a worker still on the old primary's snapshot keeps holding";
  EXPECT_FALSE(gate.holding(2));
  EXPECT_FALSE(gate.holding_slow(2, now + 1)) << "the announcement is cleared";
  // An expired hold holds no more.
  gate.announce(now - 1);
  EXPECT_FALSE(gate.holding(2));
  // A single node: a down link is not a failover.
  FailoverGate single;
  single.configure(5000, false);
  single.links_down(now);
  EXPECT_FALSE(single.holding(0));
  FailoverGate off;
  off.configure(0, true);
  off.links_down(now);
  EXPECT_FALSE(off.holding(0));
}

TEST(FailoverHold, GateCountsHeldAndExpired) {
  FailoverGate gate;
  gate.add_held(1);
  gate.add_held(1);
  gate.add_held(-1);
  gate.add_expired();
  EXPECT_EQ(gate.held(), 1);
  EXPECT_EQ(gate.held_total(), 2u);
  EXPECT_EQ(gate.expired_total(), 1u);
}

// The waker (every worker re-checks its held sessions at once, issue #17 item 3) runs when a hold
// ends, and only then: not for a new announcement nor while the links stay up.
TEST(FailoverHold, GateWakesTheWorkersWhenAHoldEnds) {
  FailoverGate gate;
  gate.configure(5000, true);
  int wakes = 0;
  gate.set_waker([&] { ++wakes; });
  gate.announce(9000);
  gate.links_up();  // nothing was down
  EXPECT_EQ(wakes, 0);
  gate.announce(0);  // an aborted failover
  EXPECT_EQ(wakes, 1);
  gate.announce(0);  // already over
  EXPECT_EQ(wakes, 1);
  gate.links_down(1000);
  gate.links_up();  // the primary is back
  EXPECT_EQ(wakes, 2);
  gate.announce(9000);
  gate.confirm(3);  // a new primary
  EXPECT_EQ(wakes, 3);
}

}  // namespace
}  // namespace funnel::routing
