// choose_primary and confirm_sentinel_primary: ROLE decides, hints and the current primary only
// break ties, and a node Sentinel names is primary only once its ROLE agrees.
#include "topology/primary_choice.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace funnel::topology {
namespace {
using routing::Role;

PrimaryCandidate node(std::uint32_t id, bool reachable, Role role, std::size_t replicas = 0) {
  return PrimaryCandidate{id, reachable, role, replicas};
}

TEST(ChoosePrimary, RoleWinsOverTheHint) {
  std::vector<PrimaryCandidate> nodes{node(0, true, Role::kReplica), node(1, true, Role::kPrimary)};
  EXPECT_EQ(choose_primary(nodes, std::nullopt, 0u), 1u);
}

TEST(ChoosePrimary, TwoMastersTheOneWithReplicasWins) {
  // Mid-failover: the old primary still says master, with no replicas.
  std::vector<PrimaryCandidate> nodes{node(0, true, Role::kPrimary, 0),
                                      node(1, true, Role::kPrimary, 2),
                                      node(2, true, Role::kReplica)};
  EXPECT_EQ(choose_primary(nodes, 0u, 0u), 1u);
}

TEST(ChoosePrimary, TiesKeepTheCurrentThenTheHint) {
  std::vector<PrimaryCandidate> nodes{node(0, true, Role::kPrimary), node(1, true, Role::kPrimary),
                                      node(2, true, Role::kPrimary)};
  EXPECT_EQ(choose_primary(nodes, 2u, 1u), 2u);
  EXPECT_EQ(choose_primary(nodes, std::nullopt, 1u), 1u);
  EXPECT_EQ(choose_primary(nodes, std::nullopt, std::nullopt), 0u);
}

TEST(ChoosePrimary, AnUnreachablePrimaryStaysUnlessAnotherSaysMaster) {
  std::vector<PrimaryCandidate> nodes{node(0, false, Role::kPrimary),
                                      node(1, true, Role::kReplica)};
  EXPECT_EQ(choose_primary(nodes, 0u, 0u), 0u);
  nodes[1].role = Role::kPrimary;
  EXPECT_EQ(choose_primary(nodes, 0u, 0u), 1u);
}

TEST(ChoosePrimary, NoPrimaryWhenTheOnlyCandidateSaysReplica) {
  std::vector<PrimaryCandidate> nodes{node(0, true, Role::kReplica),
                                      node(1, false, Role::kUnknown)};
  EXPECT_EQ(choose_primary(nodes, 0u, 0u), std::nullopt);
  EXPECT_EQ(choose_primary({}, std::nullopt, std::nullopt), std::nullopt);
}

TEST(ConfirmSentinelPrimary, ANamedNodeThatSaysSlaveIsNotPrimaryYet) {
  const PrimaryCandidate named = node(3, true, Role::kReplica);
  SentinelPrimary verdict = confirm_sentinel_primary(&named, "10.0.0.3:6379", "");
  EXPECT_FALSE(verdict.primary);
  EXPECT_EQ(verdict.error,
            "sentinel names 10.0.0.3:6379 as primary but its ROLE says replica (failover in "
            "progress)");
}

TEST(ConfirmSentinelPrimary, ConfirmedOrUnreachableNamedNodeIsPrimary) {
  const PrimaryCandidate master = node(3, true, Role::kPrimary);
  EXPECT_EQ(confirm_sentinel_primary(&master, "a", "").primary, 3u);
  const PrimaryCandidate silent = node(4, false, Role::kUnknown);
  EXPECT_EQ(confirm_sentinel_primary(&silent, "b", "").primary, 4u);
}

TEST(ConfirmSentinelPrimary, NothingNamedSaysWhy) {
  SentinelPrimary verdict = confirm_sentinel_primary(nullptr, "", "sentinel 1.2.3.4:26379: x");
  EXPECT_FALSE(verdict.primary);
  EXPECT_EQ(verdict.error, "sentinel 1.2.3.4:26379: x");
}

}  // namespace
}  // namespace funnel::topology
