// The hot-key workload's pure parts: the Zipf ranks, the versioned values and their parsing,
// the scenario's validation of the hot-key flags.
#include "storm/hot_key.hpp"
#include "storm/info_fields.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace funnel::storm {
namespace {

TEST(HotKey, ZipfRanksFollowTheExponent) {
  const ZipfDistribution zipf(100, 1.1);
  EXPECT_GT(zipf.probability(0), zipf.probability(1));
  EXPECT_NEAR(zipf.probability(0) / zipf.probability(1), std::pow(2.0, 1.1), 1e-9);
  EXPECT_EQ(zipf.rank(0.0), 0);
  EXPECT_EQ(zipf.rank(0.999999999), 99);
  EXPECT_EQ(zipf.probability(100), 0);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  int hottest = 0;
  const int draws = 100000;
  for (int i = 0; i < draws; ++i) hottest += zipf.rank(u(rng)) == 0 ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(hottest) / draws, zipf.probability(0), 0.01);
}

TEST(HotKey, ZipfWithExponentZeroIsUniform) {
  const ZipfDistribution zipf(4, 0);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(zipf.probability(k), 0.25, 1e-12);
}

TEST(HotKey, ValuesCarryTheirVersion) {
  EXPECT_EQ(hot_value(42, 8), "42:vvvvv");
  EXPECT_EQ(hot_value(123456, 2), "123456:");  // never cut below the version
  EXPECT_EQ(parse_hot_version("$8\r\n42:vvvvv\r\n"), 42u);
  EXPECT_EQ(parse_hot_version("$7\r\n123456:\r\n"), 123456u);
  EXPECT_EQ(parse_hot_version("$-1\r\n"), std::nullopt);
  EXPECT_EQ(parse_hot_version("_\r\n"), std::nullopt);
  EXPECT_EQ(parse_hot_version("-ERR x\r\n"), std::nullopt);
  EXPECT_EQ(parse_hot_version("$3\r\nabc\r\n"), std::nullopt);
  EXPECT_EQ(parse_hot_version("$2\r\n42\r\n"), std::nullopt);  // no colon: not ours
}

TEST(HotKey, KeyNamesAndValidation) {
  Scenario s;
  s.workload = Workload::kHotKey;
  EXPECT_EQ(hot_key_name(s.hot, 7), "storm:hot:7");
  EXPECT_EQ(validate(s), "");
  s.hot.written_keys = 101;
  EXPECT_NE(validate(s).find("--written-keys"), std::string::npos);
  s = Scenario{};
  s.workload = Workload::kHotKey;
  s.mix.commands = kMaxHotReads + 1;
  EXPECT_NE(validate(s).find("--commands"), std::string::npos);
  s.workload = Workload::kHash;
  EXPECT_EQ(validate(s), "");  // the hash workload allows more commands
  EXPECT_EQ(parse_workload("hot-key"), Workload::kHotKey);
  EXPECT_EQ(parse_workload("hash"), Workload::kHash);
  EXPECT_EQ(parse_workload("hot"), std::nullopt);
}

TEST(HotKey, CommandstatsAndMetricsParsing) {
  const std::string_view info =
      "# Commandstats\r\ncmdstat_getex:calls=9,usec=1\r\ncmdstat_get:calls=1234,usec=5,"
      "usec_per_call=0.1\r\ncmdstat_set:calls=7,usec=2\r\n";
  EXPECT_EQ(commandstat_calls(info, "get"), 1234);
  EXPECT_EQ(commandstat_calls(info, "set"), 7);
  EXPECT_EQ(commandstat_calls(info, "hget"), 0);  // never called: no line
  const std::string_view metrics =
      "# TYPE funnel_coalesced_requests_total counter\n"
      "funnel_coalesced_requests_total{backend=\"127.0.0.1:1\"} 12\n"
      "funnel_coalesced_requests_total{backend=\"127.0.0.1:2\"} 3\n"
      "funnel_near_cache_hits_total 40\n"
      "funnel_near_cache_hits_total_other 99\n";
  EXPECT_EQ(prometheus_sum(metrics, "funnel_coalesced_requests_total"), 15);
  EXPECT_EQ(prometheus_sum(metrics, "funnel_near_cache_hits_total"), 40);
  EXPECT_EQ(prometheus_sum(metrics, "funnel_near_cache_misses_total"), std::nullopt);
}

}  // namespace
}  // namespace funnel::storm
