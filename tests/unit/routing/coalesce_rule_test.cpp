// The coalescing rule of issue #18 (item 1) as tables: every condition on R's side
// (offer_verdict) and on the link's side (join_verdict) refuses alone, and the list of
// coalescible commands refuses writes, unknown names and replies that are not a function of the
// data.
#include "routing/coalesce_rule.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace funnel::routing {
namespace {

OfferFacts eligible() {
  OfferFacts r;
  r.enabled = true;
  r.command_listed = true;
  r.read_only = true;
  r.primary_shared_link = true;
  r.earlier = Earlier::kNone;
  return r;
}

TEST(CoalesceRule, OfferNeedsEveryCondition) {
  struct Row {
    const char* what;
    void (*change)(OfferFacts&);
    bool offered;
  };
  const std::vector<Row> rows = {
      {"all hold", [](OfferFacts&) {}, true},
      {"earlier on the same link", [](OfferFacts& r) { r.earlier = Earlier::kOnSameLink; }, true},
      {"coalescing off", [](OfferFacts& r) { r.enabled = false; }, false},
      {"command not listed", [](OfferFacts& r) { r.command_listed = false; }, false},
      {"not read-only", [](OfferFacts& r) { r.read_only = false; }, false},
      {"in MULTI", [](OfferFacts& r) { r.in_multi = true; }, false},
      {"pinned", [](OfferFacts& r) { r.pinned = true; }, false},
      {"tracking", [](OfferFacts& r) { r.tracking = true; }, false},
      {"REPLY OFF", [](OfferFacts& r) { r.reply_off = true; }, false},
      {"reply edited", [](OfferFacts& r) { r.reply_edited = true; }, false},
      {"routed to a replica", [](OfferFacts& r) { r.primary_shared_link = false; }, false},
      {"earlier elsewhere", [](OfferFacts& r) { r.earlier = Earlier::kElsewhere; }, false},
  };
  for (const Row& row : rows) {
    OfferFacts r = eligible();
    row.change(r);
    EXPECT_EQ(offer_verdict(r), row.offered) << row.what;
  }
}

TEST(CoalesceRule, JoinNeedsAnUnsentIdenticalLeaderAndNothingOfTheClientBehindIt) {
  struct Row {
    bool same_bytes;
    bool leader_unsent;
    Earlier earlier;
    bool client_behind_leader;
    bool unsafe;
    bool joins;
  };
  const std::vector<Row> rows = {
      {true, true, Earlier::kNone, false, false, true},
      {false, true, Earlier::kNone, false, false, false},      // different bytes
      {true, false, Earlier::kNone, false, false, false},      // L already sent
      {true, true, Earlier::kOnSameLink, false, false, true},  // earlier ones ahead of L
      {true, true, Earlier::kOnSameLink, true, false, false},  // one behind L: R must follow it
      {true, true, Earlier::kElsewhere, false, false, false},
      // The deliberately broken rule for the history checker: L sent, still joined.
      {true, false, Earlier::kNone, false, true, true},
      {false, false, Earlier::kNone, false, true, false},
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    JoinFacts j;
    j.same_bytes = row.same_bytes;
    j.leader_unsent = row.leader_unsent;
    j.earlier = row.earlier;
    j.client_behind_leader = row.client_behind_leader;
    j.unsafe_for_tests = row.unsafe;
    EXPECT_EQ(join_verdict(j), row.joins) << "row " << i;
  }
}

TEST(CoalesceRule, CommandListRefusesWritesUnknownAndNonFunctions) {
  std::vector<std::string> refused;
  const auto names = split_coalesce_commands(
      "GET, hget  mget,set srandmember nosuch get eval_ro object "
      "blpop subscribe",
      refused);
  EXPECT_EQ(names, (std::vector<std::string>{"get", "hget", "mget"}));
  EXPECT_EQ(refused, (std::vector<std::string>{"set", "srandmember", "nosuch", "eval_ro", "object",
                                               "blpop", "subscribe"}));
}

TEST(CoalesceRule, DefaultListIsAllAccepted) {
  std::vector<std::string> refused;
  const auto names = split_coalesce_commands(default_coalesce_commands(), refused);
  EXPECT_TRUE(refused.empty()) << refused.front();
  EXPECT_GE(names.size(), 20u);
}

}  // namespace
}  // namespace funnel::routing
