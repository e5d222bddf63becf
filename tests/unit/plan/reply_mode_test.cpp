// CLIENT REPLY's rules (plan/session_state.hpp) against what redis-server 7.0.15 does, one row per
// case: which request's reply is dropped, and what RESET does to the mode (it ends OFF and SKIP).
#include <gtest/gtest.h>

#include "plan/session_state.hpp"

namespace funnel::plan {
namespace {

TEST(ReplyModeRule, EachRequestTakesOneTurn) {
  struct Row {
    const char* given;
    ReplyMode mode;
    bool silenced;
    ReplyMode next;
  } const rows[] = {
      {"REPLY ON: sent", ReplyMode::kOn, false, ReplyMode::kOn},
      {"REPLY OFF: dropped, stays off", ReplyMode::kOff, true, ReplyMode::kOff},
      {"REPLY SKIP: dropped, once", ReplyMode::kSkip, true, ReplyMode::kOn},
  };
  for (const Row& row : rows) {
    const ReplyTurn turn = reply_turn(row.mode);
    EXPECT_EQ(turn.silenced, row.silenced) << row.given;
    EXPECT_EQ(turn.next, row.next) << row.given;
  }
}

// The rows are the sequences checked on redis-server 7.0.15 (and through Funnel by
// StatefulTest.ResetEndsClientReplyOffAsRedisDoes): "CLIENT REPLY OFF, RESET" answers +RESET,
// "CLIENT REPLY SKIP, RESET" answers nothing, "SKIP, PING, RESET" answers +RESET.
TEST(ReplyModeRule, ResetEndsOffButASkipSpentOnResetStillSilencesIt) {
  struct Row {
    const char* given;
    ReplyMode mode_before_reset;
    bool reset_silenced;
  } const rows[] = {
      {"REPLY ON", ReplyMode::kOn, false},
      {"REPLY OFF (also OFF then SKIP)", ReplyMode::kOff, false},
      {"REPLY SKIP just before RESET", ReplyMode::kSkip, true},
  };
  for (const Row& row : rows) {
    const ReplyTurn turn = reply_turn(row.mode_before_reset);
    EXPECT_EQ(reset_reply_silenced(turn.next, turn.silenced), row.reset_silenced) << row.given;
  }
}

}  // namespace
}  // namespace funnel::plan
