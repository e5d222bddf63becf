// Issue #16, items 1 and 9 (Tests: "with 5,000 clients each node sees at most the budget"):
// 5,000 clients (1,000 under FUNNEL_TEST_SCALE=reduced), half RESP2 and half RESP3, each
// pipelining SET/GET of its own keys (which hash to every shard) through one Funnel in front of
// a real 3+3 Redis Cluster: every reply checked, and every node's CLIENT LIST shows at most
// connections_per_node shared links per protocol plus the control links, none per client. Then
// two Funnel instances side by side (as behind a load balancer): each node sees at most twice
// one instance's budget.
#include <sys/resource.h>

#include <future>

#include "harness.hpp"
#include "load_clients.hpp"
#include "support/redis_cluster.hpp"

namespace funnel::test {
namespace {

constexpr int kWorkers = 2;
constexpr std::size_t kConnectionsPerNode = 2;
// One instance's links to one node under the primary read policy: shared links per protocol in
// use, the control link of the node serving slot 0 and the slot-map link (funnel:control:0,
// funnel:control:cluster: at most one of each per instance).
constexpr std::size_t kBudgetPerNode = 2 * kConnectionsPerNode + 2;

int client_count() {
  return reduced_scale() ? 1000 : 5000;
}

// The test process holds every client socket: raise its own descriptor limit to the hard one.
void raise_fd_limit() {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_cur, static_cast<rlim_t>(client_count() + 200)) << "hard fd limit too low";
}

class ClusterBudget : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = RedisCluster::start().release(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  std::unique_ptr<FunnelProcess> start_funnel() {
    return FunnelProcess::start({"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)),
                                 "--workers", std::to_string(kWorkers), "--connections-per-node",
                                 std::to_string(kConnectionsPerNode), "--max-clients", "12000"});
  }
  // `clients` clients through `port`, half of them RESP3; every reply checked.
  static void run_clients(std::uint16_t port, int clients, const std::string& prefix) {
    LoadOptions resp2;
    resp2.port = port;
    resp2.clients = clients / 2;
    resp2.rounds = 3;
    resp2.pipeline = 4;
    resp2.deadline = std::chrono::seconds(240);
    resp2.key_prefix = prefix + "r2";
    LoadOptions resp3 = resp2;
    resp3.resp3 = true;
    resp3.key_prefix = prefix + "r3";
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
  }
  // Funnel's links on every node: within `instances` x the budget, none per client.
  static void expect_within_budget(std::size_t instances) {
    std::size_t primaries_with_links = 0;
    for (std::uint16_t port : cluster_->ports()) {
      const auto names = funnel_link_names(port);
      EXPECT_LE(count_prefix(names, "funnel:shared:resp2:"), instances * kConnectionsPerNode)
          << port;
      EXPECT_LE(count_prefix(names, "funnel:shared:resp3:"), instances * kConnectionsPerNode)
          << port;
      EXPECT_EQ(count_prefix(names, "funnel:replica:"), 0u) << port;  // primary read policy
      EXPECT_LE(names.size(), instances * kBudgetPerNode) << port;
      primaries_with_links += count_prefix(names, "funnel:shared:resp3:") > 0 ? 1 : 0;
    }
    EXPECT_EQ(primaries_with_links, 3u);  // the keys reached every shard, on both protocols
  }
  static RedisCluster* cluster_;
};
RedisCluster* ClusterBudget::cluster_ = nullptr;

TEST_F(ClusterBudget, ThousandsOfClientsShareTheLinkBudgetOfEveryNode) {
  raise_fd_limit();
  auto funnel = start_funnel();
  run_clients(funnel->port(), client_count(), "one");
  expect_within_budget(1);
  EXPECT_EQ(funnel->stop(), 0) << funnel->log_text();
}

TEST_F(ClusterBudget, TwoInstancesSideBySideCostEachNodeTwiceTheBudget) {
  raise_fd_limit();
  auto first = start_funnel();
  auto second = start_funnel();
  auto other = std::async(std::launch::async,
                          [&] { run_clients(second->port(), client_count() / 2, "two"); });
  run_clients(first->port(), client_count() / 2, "one");
  other.get();
  expect_within_budget(2);
  EXPECT_EQ(first->stop(), 0) << first->log_text();
  EXPECT_EQ(second->stop(), 0) << second->log_text();
}

}  // namespace
}  // namespace funnel::test
