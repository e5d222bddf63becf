// judge_replica(): which replicas may serve reads.
#include "routing/replica_health.hpp"

#include <gtest/gtest.h>

namespace funnel::routing {
namespace {

RoleReport replica(std::string state, std::int64_t offset) {
  RoleReport role;
  role.role = Role::kReplica;
  role.link_state = std::move(state);
  role.offset = offset;
  return role;
}

ReplicaInfo healthy_info() {
  ReplicaInfo info;
  info.link_up = true;
  info.last_io_seconds_ago = 1;
  return info;
}

TEST(ReplicaHealth, ParsesInfoFieldsFromRealText) {
  const ReplicaInfo info = parse_replica_info(
      "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_link_status:up\r\n"
      "master_last_io_seconds_ago:3\r\nmaster_sync_in_progress:0\r\n\r\n# Persistence\r\n"
      "loading:0\r\nasync_loading:0\r\n");
  EXPECT_TRUE(info.link_up);
  EXPECT_EQ(info.last_io_seconds_ago, 3);
  EXPECT_FALSE(info.loading);
  EXPECT_FALSE(info.sync_in_progress);
  EXPECT_TRUE(parse_replica_info("loading:1\r\n").loading);
  EXPECT_TRUE(parse_replica_info("async_loading:1\n").loading);
  EXPECT_FALSE(parse_replica_info("master_link_status:down\r\n").link_up);
}

TEST(ReplicaHealth, ReadsTheReplicationIdThatTellsWhoseHistoryANodeFollows) {
  EXPECT_EQ(parse_replica_info("master_replid:2dd82a1d32ad7ccf633c4d68e6901b33efc4279f\r\n"
                               "master_replid2:0000000000000000000000000000000000000000\r\n")
                .replid,
            "2dd82a1d32ad7ccf633c4d68e6901b33efc4279f");
  EXPECT_EQ(parse_replica_info("role:master\r\n").replid, "");
}

TEST(ReplicaHealth, MissingFieldsFailSafe) {
  const ReplicaInfo info = parse_replica_info("");
  EXPECT_FALSE(info.link_up);
  EXPECT_EQ(info.last_io_seconds_ago, -1);
}

TEST(ReplicaHealth, HealthyReplicaIsReadable) {
  const auto verdict = judge_replica(replica("connected", 100), healthy_info(), 120, {1000, 10});
  EXPECT_TRUE(verdict.readable) << verdict.reason;
  EXPECT_EQ(verdict.lag_bytes, 20);
}

TEST(ReplicaHealth, EachReasonTakesItOut) {
  const LagLimits limits{1000, 10};
  EXPECT_EQ(judge_replica(replica("sync", 100), healthy_info(), 100, limits).reason,
            "link to primary down");
  ReplicaInfo down = healthy_info();
  down.link_up = false;
  EXPECT_EQ(judge_replica(replica("connected", 100), down, 100, limits).reason,
            "link to primary down");
  ReplicaInfo loading = healthy_info();
  loading.loading = true;
  EXPECT_EQ(judge_replica(replica("connected", 100), loading, 100, limits).reason, "loading");
  EXPECT_NE(judge_replica(replica("connected", 100), healthy_info(), 5000, limits)
                .reason.find("bytes over max_replica_lag"),
            std::string::npos);
  ReplicaInfo quiet = healthy_info();
  quiet.last_io_seconds_ago = 11;
  EXPECT_NE(judge_replica(replica("connected", 100), quiet, 100, limits)
                .reason.find("no contact with primary for 11 s"),
            std::string::npos);
  RoleReport primary;
  primary.role = Role::kPrimary;
  EXPECT_FALSE(judge_replica(primary, healthy_info(), 0, limits).readable);
}

TEST(ReplicaHealth, ZeroLimitsMeanNoLagLimit) {
  ReplicaInfo quiet = healthy_info();
  quiet.last_io_seconds_ago = 500;
  EXPECT_TRUE(judge_replica(replica("connected", 1), quiet, 1'000'000, {0, 0}).readable);
}

}  // namespace
}  // namespace funnel::routing
