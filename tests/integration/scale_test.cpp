// Thousands of concurrent clients, each pipelining SET/GET of its own keys: every reply checked,
// zero mismatches, and the backend sees exactly the connection budget, also when
// connections_per_node is lower than the worker count. Full size (5,000 clients) runs in the
// release stage; FUNNEL_TEST_SCALE=reduced runs 500 under the sanitizers.
#include <future>

#include "harness.hpp"
#include "load_clients.hpp"

namespace funnel::test {
namespace {

int client_count() {
  return reduced_scale() ? 500 : 5000;
}

struct BudgetCase {
  const char* name;
  int workers;
  int connections_per_node;  // 0: default (one per worker)
};

class ScaleTest : public ::testing::TestWithParam<BudgetCase> {};

TEST_P(ScaleTest, EveryClientGetsOnlyItsOwnRepliesWithinTheLinkBudget) {
  const BudgetCase& budget = GetParam();
  auto redis = RedisServer::start({"--maxclients", "100"});  // far fewer than our clients
  std::vector<std::string> args = {"--backend",     backend_arg(redis->port()),
                                   "--workers",     std::to_string(budget.workers),
                                   "--max-clients", "12000"};
  if (budget.connections_per_node > 0) {
    args.insert(args.end(),
                {"--connections-per-node", std::to_string(budget.connections_per_node)});
  }
  auto funnel = FunnelProcess::start(args);
  const std::size_t per_protocol =
      budget.connections_per_node > 0 ? budget.connections_per_node : budget.workers;

  LoadOptions resp2;
  resp2.port = funnel->port();
  resp2.clients = client_count() / 2;
  resp2.rounds = 4;
  resp2.pipeline = 5;
  resp2.deadline = std::chrono::seconds(240);
  resp2.key_prefix = "r2";
  LoadOptions resp3 = resp2;
  resp3.resp3 = true;
  resp3.key_prefix = "r3";

  auto second_half = std::async(std::launch::async, [&] { return run_load(resp3); });
  const LoadResult first = run_load(resp2);
  const LoadResult second = second_half.get();
  for (const LoadResult* result : {&first, &second}) {
    EXPECT_EQ(result->mismatches, 0u) << result->summary();
    EXPECT_EQ(result->error_replies, 0u) << result->summary();
    EXPECT_EQ(result->connect_failures, 0u) << result->summary();
    EXPECT_FALSE(result->timed_out) << result->summary();
    EXPECT_EQ(result->ok_replies,
              static_cast<std::uint64_t>(resp2.clients) * resp2.rounds * resp2.pipeline * 2);
  }
  const auto names = funnel_link_names(redis->port());
  EXPECT_EQ(count_prefix(names, "funnel:shared:resp2:db0:"), per_protocol);
  EXPECT_EQ(count_prefix(names, "funnel:shared:resp3:db0:"), per_protocol);
  EXPECT_EQ(count_prefix(names, "funnel:control:"), 1u);
  EXPECT_EQ(count_prefix(names, "funnel:health:"), 1u);  // the topology monitor's checks
  EXPECT_EQ(names.size(), 2 * per_protocol + 2);
  EXPECT_EQ(funnel->stop(), 0) << funnel->log_text();
}

INSTANTIATE_TEST_SUITE_P(Budgets, ScaleTest,
                         ::testing::Values(BudgetCase{"OneLinkPerWorker", 2, 0},
                                           BudgetCase{"FewerLinksThanWorkers", 2, 1},
                                           BudgetCase{"MoreLinksThanWorkers", 2, 3}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace funnel::test
