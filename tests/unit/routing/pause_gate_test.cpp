// PauseGate and the rule of what CLIENT PAUSE WRITE postpones, as tables: Redis 7.0's behaviour
// (checked against redis-server 7.0: PAUSE WRITE postpones SET, EVAL without flags, PUBLISH and
// PFCOUNT, not GET, PING, INFO or an EVAL whose shebang says flags=no-writes; a second PAUSE keeps
// the stricter mode and the later end; UNPAUSE under PAUSE ALL waits for the pause's end).
#include "routing/pause_gate.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../command/request_helpers.hpp"
#include "command/command_table.hpp"

namespace funnel::routing {
namespace {

using command::test::ParsedRequest;

bool held(const std::vector<std::string>& args) {
  static const auto table = command::CommandTable::builtin();
  ParsedRequest request(args);
  command::Classification cls;
  command::classify(*table, request.get(), cls);
  return paused_by_write_pause(cls, request.get());
}

TEST(PauseGate, WhatPauseWriteHolds) {
  struct Row {
    std::vector<std::string> args;
    bool held;
  };
  const std::vector<Row> rows = {
      {{"SET", "k", "v"}, true},
      {{"DEL", "k"}, true},
      {{"INCR", "k"}, true},
      {{"EXPIRE", "k", "10"}, true},
      {{"PUBLISH", "c", "m"}, true},
      {{"SPUBLISH", "c", "m"}, true},
      {{"PFCOUNT", "h"}, true},  // may rewrite the HLL's encoding: Redis replicates it
      {{"EVAL", "return 1", "0"}, true},
      {{"EVAL", "#!lua\nreturn 1", "0"}, true},
      {{"EVAL", "#!lua flags=allow-oom\nreturn 1", "0"}, true},
      {{"EVAL", "#!lua flags=no-writes\nreturn 1", "0"}, false},
      {{"EVAL", "#!lua flags=allow-oom,no-writes\nreturn 1", "0"}, false},
      {{"EVAL", "return 1 -- flags=no-writes", "0"}, true},  // no shebang: not a declaration
      {{"EVALSHA", "0123456789012345678901234567890123456789", "0"}, true},
      {{"FCALL", "f", "0"}, true},
      {{"EVAL_RO", "return 1", "0"}, false},
      {{"FCALL_RO", "f", "0"}, false},
      {{"GET", "k"}, false},
      {{"MGET", "a", "b"}, false},
      {{"PING"}, false},
      {{"INFO"}, false},
      {{"SCRIPT", "LOAD", "return 1"}, false},  // noscript, not a write: Redis runs it
      {{"NOSUCH"}, false},                      // refused anyway
  };
  for (const Row& row : rows) EXPECT_EQ(held(row.args), row.held) << row.args[0];
}

TEST(PauseGate, ParsesPauseAsRedisDoes) {
  struct Row {
    std::vector<std::string> args;
    bool valid;
    PauseMode mode;
    common::Millis ms;
  };
  const std::vector<Row> rows = {
      {{"CLIENT", "PAUSE", "100"}, true, PauseMode::kAll, 100},
      {{"CLIENT", "PAUSE", "100", "write"}, true, PauseMode::kWrite, 100},
      {{"CLIENT", "PAUSE", "0", "ALL"}, true, PauseMode::kAll, 0},
      {{"CLIENT", "PAUSE", "100", "READ"}, false, {}, 0},
      {{"CLIENT", "PAUSE", "-1"}, false, {}, 0},
      {{"CLIENT", "PAUSE", "1x"}, false, {}, 0},
      {{"CLIENT", "PAUSE"}, false, {}, 0},
      {{"CLIENT", "PAUSE", "1", "WRITE", "x"}, false, {}, 0},
  };
  for (const Row& row : rows) {
    ParsedRequest request(row.args);
    const auto parsed = parse_pause(request.get());
    ASSERT_EQ(parsed.has_value(), row.valid) << row.args.back();
    if (!parsed) continue;
    EXPECT_EQ(parsed->mode, row.mode);
    EXPECT_EQ(parsed->timeout_ms, row.ms);
  }
}

// Each row: steps applied in order at the given times, then the mode expected at `at`.
TEST(PauseGate, WhenThePauseEnds) {
  enum Step { kPauseWrite, kPauseAll, kUnpause };
  struct Action {
    Step step;
    common::Millis now;
    common::Millis ms;
  };
  struct Row {
    std::string name;
    std::vector<Action> actions;
    common::Millis at;
    PauseMode expected;
  };
  const std::vector<Row> rows = {
      {"nothing recorded", {}, 1000, PauseMode::kOff},
      {"write in force", {{kPauseWrite, 1000, 500}}, 1499, PauseMode::kWrite},
      {"write expired", {{kPauseWrite, 1000, 500}}, 1500, PauseMode::kOff},
      {"write unpaused", {{kPauseWrite, 1000, 500}, {kUnpause, 1100, 0}}, 1101, PauseMode::kOff},
      {"all outlives its unpause",
       {{kPauseAll, 1000, 500}, {kUnpause, 1100, 0}},
       1499,
       PauseMode::kAll},
      {"all expires", {{kPauseAll, 1000, 500}, {kUnpause, 1100, 0}}, 1500, PauseMode::kOff},
      {"shorter pause keeps the end",
       {{kPauseWrite, 1000, 500}, {kPauseWrite, 1100, 10}},
       1400,
       PauseMode::kWrite},
      {"all after write wins",
       {{kPauseWrite, 1000, 100}, {kPauseAll, 1050, 500}},
       1400,
       PauseMode::kAll},
      {"write during all keeps all",
       {{kPauseAll, 1000, 500}, {kPauseWrite, 1050, 10}},
       1400,
       PauseMode::kAll},
      {"expired pause does not lift a new one",
       {{kPauseAll, 1000, 10}, {kPauseWrite, 2000, 100}},
       2050,
       PauseMode::kWrite},
      {"unpause after expiry of all",
       {{kPauseAll, 1000, 10}, {kUnpause, 2000, 0}},
       2001,
       PauseMode::kOff},
  };
  for (const Row& row : rows) {
    PauseGate gate;
    for (const Action& a : row.actions) {
      if (a.step == kUnpause) {
        gate.unpause(a.now);
      } else {
        gate.pause({a.step == kPauseAll ? PauseMode::kAll : PauseMode::kWrite, a.ms}, a.now);
      }
    }
    EXPECT_EQ(gate.mode_at(row.at), row.expected) << row.name;
    EXPECT_EQ(gate.paused_all(row.at), row.expected == PauseMode::kAll) << row.name;
  }
}

TEST(PauseGate, TimeoutsExcusedDuringPauseAllAndAGraceAfter) {
  struct Row {
    std::string name;
    PauseMode mode;
    bool unpause;
    common::Millis at;
    bool excused;
  };
  const std::vector<Row> rows = {
      {"no pause", PauseMode::kOff, false, 1100, false},
      {"write pause", PauseMode::kWrite, false, 1100, false},
      {"all in force", PauseMode::kAll, false, 1400, true},
      {"all, within the grace", PauseMode::kAll, false, 1599, true},
      {"all, grace over", PauseMode::kAll, false, 1600, false},
      {"all, unpause sent", PauseMode::kAll, true, 1400, true},
  };
  for (const Row& row : rows) {
    PauseGate gate;
    if (row.mode != PauseMode::kOff) gate.pause({row.mode, 500}, 1000);  // until 1500
    if (row.unpause) gate.unpause(1100);
    EXPECT_EQ(gate.excuses_timeouts(row.at, 100), row.excused) << row.name;
  }
}

TEST(PauseGate, HoldsWritesOnlyWhilePaused) {
  PauseGate gate;
  EXPECT_FALSE(gate.holds_writes());
  gate.pause({PauseMode::kWrite, 60000}, common::coarse_now_ms());
  EXPECT_TRUE(gate.holds_writes());
  gate.unpause(common::coarse_now_ms());
  EXPECT_FALSE(gate.holds_writes());
  gate.pause({PauseMode::kWrite, 0}, common::coarse_now_ms());
  EXPECT_FALSE(gate.holds_writes());
  gate.pause({PauseMode::kAll, 60000}, common::coarse_now_ms());
  EXPECT_FALSE(gate.holds_writes());  // Redis postpones everything, in arrival order
}

}  // namespace
}  // namespace funnel::routing

namespace funnel::routing {
namespace {

// FUNNEL PAUSE [timeout-ms] (issue #17, item 2): Funnel holds every request until FUNNEL RESUME;
// at the timeout the pause ends and the requests it held fail (hold_all_timed_out).
TEST(PauseGate, FunnelPauseHoldsUntilResumeOrTimeout) {
  PauseGate gate;
  EXPECT_FALSE(gate.holds_all(1000));
  const std::uint64_t first = gate.hold_all(500, 1000);
  EXPECT_TRUE(gate.holds_all(1000));
  EXPECT_TRUE(gate.holds_all(1499));
  EXPECT_FALSE(gate.holds_all(1500));  // the timeout
  EXPECT_FALSE(gate.hold_all_timed_out(first, 1499));
  EXPECT_TRUE(gate.hold_all_timed_out(first, 1500));  // held requests fail, never sent

  const std::uint64_t second = gate.hold_all(500, 2000);  // a new pause: a new id
  EXPECT_GT(second, first);
  EXPECT_EQ(gate.hold_all(1000, 2100), second);  // extended while in force: the same id
  EXPECT_TRUE(gate.holds_all(2999));
  EXPECT_EQ(gate.hold_all_end_ms(), 3100);
  EXPECT_TRUE(gate.resume_all(2200));
  EXPECT_FALSE(gate.holds_all(2200));
  EXPECT_FALSE(gate.hold_all_timed_out(second, 5000));  // resumed: the held requests go on
  EXPECT_FALSE(gate.resume_all(2300));                  // nothing in force
  EXPECT_EQ(gate.hold_all_end_ms(), 0);
}

// The planner's per-batch flag: one check covers both pauses.
TEST(PauseGate, HoldsWritesWhileAFunnelPauseHoldsAll) {
  PauseGate gate;
  EXPECT_FALSE(gate.holds_writes());
  gate.hold_all(60'000, common::coarse_now_ms());
  EXPECT_TRUE(gate.holds_writes());
  EXPECT_EQ(gate.mode_at(common::coarse_now_ms()), PauseMode::kOff);  // Redis is not paused
  gate.resume_all(common::coarse_now_ms());
  EXPECT_FALSE(gate.holds_writes());
}

TEST(PauseGate, FunnelPauseTimeoutArgument) {
  struct Row {
    std::string text;
    std::optional<common::Millis> value;
  };
  const std::vector<Row> rows = {
      {"1", 1},
      {"30000", 30000},
      {"3600000", 3600000},
      {"3600001", std::nullopt},
      {"0", std::nullopt},
      {"-5", std::nullopt},
      {"", std::nullopt},
      {"10x", std::nullopt},
      {"99999999999", std::nullopt},
      {" 5", std::nullopt},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(parse_hold_all_timeout(row.text), row.value) << "'" << row.text << "'";
  }
}

// FUNNEL RESUME and CLIENT UNPAUSE wake every worker (issue #17 item 3: held clients go on at
// once, not on each worker's tick); nothing else does.
TEST(PauseGate, ResumeAndUnpauseWakeTheWorkers) {
  PauseGate gate;
  int wakes = 0;
  gate.set_waker([&] { ++wakes; });
  EXPECT_FALSE(gate.resume_all(1000));  // nothing to resume
  EXPECT_EQ(wakes, 0);
  gate.hold_all(5000, 1000);
  EXPECT_EQ(wakes, 0);
  EXPECT_TRUE(gate.resume_all(2000));
  EXPECT_EQ(wakes, 1);
  gate.pause(PauseRequest{PauseMode::kWrite, 5000}, 1000);
  gate.unpause(2000);
  EXPECT_EQ(wakes, 2);
  gate.unpause(2000);  // nothing recorded any more
  EXPECT_EQ(wakes, 2);
}

}  // namespace
}  // namespace funnel::routing
