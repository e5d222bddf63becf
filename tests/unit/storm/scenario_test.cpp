// Scenario validation and derived values, HOST:PORT parsing, the progress line's text.
#include "storm/scenario.hpp"

#include <gtest/gtest.h>

#include "storm/host_port.hpp"
#include "storm/progress_line.hpp"

namespace funnel::storm {
namespace {

TEST(Scenario, DefaultsAreValidAndShapedLikeTheCase) {
  const Scenario s;
  EXPECT_EQ(validate(s), "");
  EXPECT_EQ(s.peak_concurrency, 300);
  EXPECT_EQ(s.fd_limit, 1024);
  EXPECT_GE(s.duration_s, 30);
  EXPECT_LE(s.duration_s, 60);
  EXPECT_EQ(effective_containers(s), 332);  // the peak plus 10% headroom, plus 2
}

TEST(Scenario, ValidationNamesTheFlag) {
  Scenario s;
  s.fd_limit = 5;
  EXPECT_NE(validate(s).find("--fd-limit"), std::string::npos);
  s = Scenario{};
  s.containers = kMaxContainers + 1;
  EXPECT_NE(validate(s).find("--containers"), std::string::npos);
  s = Scenario{};
  s.baseline_concurrency = 400;
  EXPECT_NE(validate(s).find("--baseline-concurrency"), std::string::npos);
  s = Scenario{};
  s.max_open_connections = kMaxOpenConnections + 1;
  EXPECT_NE(validate(s).find("--max-open-connections"), std::string::npos);
  s = Scenario{};
  s.burst = 0;
  EXPECT_NE(validate(s).find("--burst"), std::string::npos);
}

TEST(Scenario, ContainersFollowTheProfile) {
  Scenario s;
  s.containers = 7;
  EXPECT_EQ(effective_containers(s), 7);
  s.containers = 0;
  s.profile = ProfileKind::kConstant;
  s.rate = 100;
  s.think_ms = 98;  // 0.1 s per invocation: 10 busy on average
  EXPECT_EQ(effective_containers(s), 13);
  s.rate = 1e6;
  EXPECT_EQ(effective_containers(s), kMaxContainers);
}

TEST(Scenario, NamesRoundTrip) {
  for (auto st : {Strategy::kPerInvocation, Strategy::kLeakySingleton, Strategy::kPooled}) {
    EXPECT_EQ(parse_strategy(strategy_name(st)), st);
  }
  for (auto p : {ProfileKind::kConstant, ProfileKind::kRamp, ProfileKind::kLaunchEvent}) {
    EXPECT_EQ(parse_profile(profile_name(p)), p);
  }
  EXPECT_FALSE(parse_strategy("singleton"));
}

TEST(HostPort, Splits) {
  auto a = split_host_port("127.0.0.1:6379");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6379);
  auto b = split_host_port("[::1]:7000");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_FALSE(split_host_port("::1:7000"));
  EXPECT_FALSE(split_host_port("localhost"));
  EXPECT_FALSE(split_host_port("localhost:0"));
  EXPECT_FALSE(split_host_port("localhost:70000"));
  EXPECT_FALSE(split_host_port(":6379"));
}

TEST(ProgressLine, Text) {
  EXPECT_EQ(ProgressLine::format("direct", 12.34, 30, 4567, 67, 287, 201),
            "[direct]  12.3/30s  invocations 4567  failed 67  concurrency 287  backend "
            "connections 201");
  EXPECT_NE(ProgressLine::format("funnel", 1, 30, 0, 0, 0, std::nullopt).find("connections ?"),
            std::string::npos);
}

}  // namespace
}  // namespace funnel::storm
