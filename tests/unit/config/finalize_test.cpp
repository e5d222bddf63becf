// finalize(): machine-dependent defaults, the required backend, and the rules that span keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "common/usable_cpus.hpp"
#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

using FinalizeTest = ConfigTest;

TEST_F(FinalizeTest, ZeroWorkersMeansOnePerUsableCpuAndLinksFollowWorkers) {
  Config config = runnable_config();
  finalize(config);
  const unsigned usable = common::read_cpu_budget().usable();
  EXPECT_EQ(config.server.workers, std::min(usable, 256u));
  EXPECT_THAT(config.server.workers_reason, HasSubstr("one per usable CPU"));
  EXPECT_EQ(config.backend.connections_per_node, config.server.workers);
  EXPECT_FALSE(config.backend.password.has_value());
  EXPECT_FALSE(config.auth.requirepass.has_value());
}

TEST_F(FinalizeTest, ExplicitCountsAreKept) {
  Config config = runnable_config();
  config.server.workers = 6;
  finalize(config);
  EXPECT_EQ(config.backend.connections_per_node, 6u);
  config = runnable_config();
  config.server.workers = 6;
  config.backend.connections_per_node = 2;
  finalize(config);
  EXPECT_EQ(config.server.workers, 6u);
  EXPECT_EQ(config.backend.connections_per_node, 2u);
}

TEST_F(FinalizeTest, MissingBackendSaysHowToGiveOne) {
  Config config;
  EXPECT_EQ(error_of([&] { finalize(config); }),
            "no backend given: pass --backend HOST:PORT (the Redis primary; add --replica "
            "HOST:PORT for each replica), --discover HOST:PORT (any node: Funnel finds the "
            "primary and its replicas) or --sentinel HOST:PORT --sentinel-master NAME, or set "
            "backend.address, topology.discover or topology.sentinels in the config file (for a "
            "Redis Cluster: --cluster HOST:PORT); to try "
            "Funnel with a local redis-server, run scripts/run.sh");
}

TEST_F(FinalizeTest, RangesAreCheckedForConfigsBuiltInCode) {
  Config config = runnable_config();
  config.backend.request_timeout_ms = 0;
  EXPECT_EQ(error_of([&] { finalize(config); }),
            "backend.request_timeout_ms = 0: must be between 1 and 3600000 (milliseconds)");
}

TEST_F(FinalizeTest, LinkStallMustCoverTheRequestTimeout) {
  Config config = runnable_config();
  config.backend.link_stall_timeout_ms = 1000;
  EXPECT_THAT(error_of([&] { finalize(config); }),
              AllOf(HasSubstr("backend.link_stall_timeout_ms = 1000 is below "
                              "backend.request_timeout_ms = 5000"),
                    HasSubstr("raise link_stall_timeout_ms or lower request_timeout_ms")));
  config.backend.request_timeout_ms = 1000;
  EXPECT_NO_THROW(finalize(config));  // equal is allowed
}

TEST_F(FinalizeTest, BackoffMinimumMustNotExceedMaximum) {
  Config config = runnable_config();
  config.backend.reconnect_backoff_min_ms = 6000;
  EXPECT_THAT(error_of([&] { finalize(config); }),
              HasSubstr("backend.reconnect_backoff_min_ms = 6000 is above "
                        "backend.reconnect_backoff_max_ms = 5000"));
}

TEST_F(FinalizeTest, SoftOutputLimitMustNotExceedHard) {
  Config config = runnable_config();
  config.limits.client_output_soft_bytes = 2ull << 20;
  config.limits.client_output_hard_bytes = 1ull << 20;
  EXPECT_THAT(error_of([&] { finalize(config); }),
              HasSubstr("limits.client_output_soft_bytes = \"2mb\" is above "
                        "limits.client_output_hard_bytes = \"1mb\""));
}

TEST_F(FinalizeTest, BudgetMustHoldTheLargestRequest) {
  Config config = runnable_config();
  config.limits.buffer_budget_bytes = 32ull << 20;
  EXPECT_THAT(error_of([&] { finalize(config); }),
              HasSubstr("limits.buffer_budget_bytes = \"32mb\" is below "
                        "limits.max_request_bytes = \"64mb\""));
}

TEST_F(FinalizeTest, BackendUserNeedsAPassword) {
  Config config = runnable_config();
  config.backend.user = "funnel";
  EXPECT_THAT(error_of([&] { finalize(config); }),
              AllOf(HasSubstr("backend.user = \"funnel\" is set but there is no backend password"),
                    HasSubstr("FUNNEL_BACKEND_PASSWORD")));
  config.backend.password = "pw";
  EXPECT_NO_THROW(finalize(config));
}

TEST_F(FinalizeTest, RefusesAddressesThatCollideWithListen) {
  Config config = runnable_config();
  config.backend.address = config.server.listen;
  EXPECT_THAT(error_of([&] { finalize(config); }), HasSubstr("Funnel would proxy to itself"));
  config = runnable_config();
  config.admin.listen = config.server.listen;
  EXPECT_THAT(error_of([&] { finalize(config); }),
              HasSubstr("admin.listen = \"127.0.0.1:6380\" is the same as server.listen"));
}

}  // namespace
}  // namespace funnel::config
