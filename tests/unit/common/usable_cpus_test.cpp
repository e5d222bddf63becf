// The worker count's default: affinity mask and cgroup CPU quota (v1 and v2) read from fake
// cgroup trees, and the rule that combines them.
#include "common/usable_cpus.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace funnel::common {
namespace {

namespace fs = std::filesystem;

class FakeCgroupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "funnel-cgroup.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const fs::path& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }

  fs::path root_;
};

TEST(CgroupParse, CpuMaxGivesQuotaOverPeriodOrNothingWhenUnlimited) {
  EXPECT_EQ(parse_cgroup2_cpu_max("max 100000\n"), std::nullopt);
  EXPECT_DOUBLE_EQ(parse_cgroup2_cpu_max("150000 100000\n").value(), 1.5);
  EXPECT_DOUBLE_EQ(parse_cgroup2_cpu_max("50000 100000").value(), 0.5);
  EXPECT_EQ(parse_cgroup2_cpu_max(""), std::nullopt);
  EXPECT_EQ(parse_cgroup2_cpu_max("garbage"), std::nullopt);
  EXPECT_EQ(parse_cgroup2_cpu_max("100000 0"), std::nullopt);
}

TEST(CgroupParse, V1QuotaMinusOneMeansUnlimited) {
  EXPECT_EQ(parse_cgroup1_quota("-1\n", "100000\n"), std::nullopt);
  EXPECT_DOUBLE_EQ(parse_cgroup1_quota("200000\n", "100000\n").value(), 2.0);
  EXPECT_EQ(parse_cgroup1_quota("x", "100000"), std::nullopt);
}

TEST(CpuBudgetRule, QuotaRoundsDownAndNeverBelowOne) {
  CpuBudget budget{.cores = 8, .affinity = 8, .quota = std::nullopt};
  EXPECT_EQ(budget.usable(), 8u);
  budget.quota = 1.5;
  EXPECT_EQ(budget.usable(), 1u);
  budget.quota = 2.0;
  EXPECT_EQ(budget.usable(), 2u);
  budget.quota = 0.25;
  EXPECT_EQ(budget.usable(), 1u);
  budget.affinity = 3;
  budget.quota = 6.0;
  EXPECT_EQ(budget.usable(), 3u);  // the mask is tighter than the quota
  EXPECT_EQ(budget.describe(), "affinity mask 3 of 8 cores, cgroup CPU quota 6");
  budget.quota.reset();
  EXPECT_EQ(budget.describe(), "affinity mask 3 of 8 cores, no cgroup CPU quota");
}

TEST_F(FakeCgroupTree, V2ReadsTheProcessCgroupAndTakesTheTightestAncestor) {
  write("system.slice/cpu.max", "300000 100000\n");
  write("system.slice/funnel.service/cpu.max", "max 100000\n");
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, "0::/system.slice/funnel.service\n").value(), 3.0);
  write("system.slice/funnel.service/cpu.max", "150000 100000\n");
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, "0::/system.slice/funnel.service\n").value(), 1.5);
}

TEST_F(FakeCgroupTree, V2InsideAContainerNamespaceReadsTheMountRoot) {
  write("cpu.max", "100000 100000\n");
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, "0::/\n").value(), 1.0);
}

TEST_F(FakeCgroupTree, NoQuotaAnywhereIsNoLimit) {
  EXPECT_EQ(cgroup_cpu_quota(root_, "0::/user.slice\n"), std::nullopt);
  write("user.slice/cpu.max", "max 100000\n");
  EXPECT_EQ(cgroup_cpu_quota(root_, "0::/user.slice\n"), std::nullopt);
  EXPECT_EQ(cgroup_cpu_quota(root_, ""), std::nullopt);
  EXPECT_EQ(cgroup_cpu_quota(root_, "not a cgroup line\n"), std::nullopt);
}

TEST_F(FakeCgroupTree, V1FindsTheCpuControllerLine) {
  write("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "50000\n");
  write("cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  write("memory/docker/abc/cpu.cfs_quota_us", "1\n");  // not the cpu controller: ignored
  const std::string self =
      "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n";
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, self).value(), 0.5);
}

TEST(CpuBudgetOfThisProcess, AffinityMatchesTheSchedulerMask) {
  const CpuBudget budget = read_cpu_budget();
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(::sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(budget.affinity, static_cast<unsigned>(CPU_COUNT(&set)));
  EXPECT_GE(budget.cores, budget.affinity);
  EXPECT_GE(budget.usable(), 1u);
  EXPECT_LE(budget.usable(), budget.affinity);
}

}  // namespace
}  // namespace funnel::common
