// result.json: valid JSON (parsed with Boost.JSON), per-path totals as the issue asks, series
// of equal length, NaN written as null; the JSON writer's escaping.
#include <gtest/gtest.h>

#include <boost/json/src.hpp>  // header-only Boost.JSON, for this test binary only

#include "sample_report.hpp"
#include "storm/json_writer.hpp"

namespace funnel::storm {
namespace {

namespace json = boost::json;

TEST(JsonWriter, EscapesAndNests) {
  JsonWriter w;
  w.begin_object();
  w.key("text").value("a \"quoted\"\nline\t\x01");
  w.key("list").begin_array().value(1).value(2.5).value(NAN).null().value(true).end_array();
  w.key("empty").begin_object().end_object();
  w.key("series").numbers({1, NAN, 3});
  w.end_object();
  const json::value v = json::parse(w.str());
  EXPECT_EQ(v.at("text").as_string(), "a \"quoted\"\nline\t\x01");
  const auto& list = v.at("list").as_array();
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[0].as_int64(), 1);
  EXPECT_DOUBLE_EQ(list[1].as_double(), 2.5);
  EXPECT_TRUE(list[2].is_null());
  EXPECT_TRUE(v.at("empty").as_object().empty());
  EXPECT_TRUE(v.at("series").as_array()[1].is_null());
}

TEST(ReportJson, PerPathTotals) {
  const json::value v = json::parse(report_json(testing::sample_report()));
  EXPECT_EQ(v.at("tool").as_string(), "funnel-storm");
  EXPECT_EQ(v.at("mode").as_string(), "compare");
  EXPECT_EQ(v.at("scenario").at("profile").as_string(), "launch-event");
  const auto& runs = v.at("runs").as_array();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].at("path").as_string(), "direct");
  EXPECT_EQ(runs[1].at("path").as_string(), "funnel");
  const auto& direct = runs[0].at("totals");
  EXPECT_EQ(direct.at("invocations").as_int64(), 50);
  EXPECT_EQ(direct.at("ok").as_int64(), 45);
  EXPECT_EQ(direct.at("failed").as_int64(), 5);
  EXPECT_EQ(direct.at("errors").at("max_clients").as_int64(), 5);
  EXPECT_EQ(direct.at("errors").at("emfile").as_int64(), 0);
  EXPECT_EQ(direct.at("backend_peak_connections").as_int64(), 22);
  const auto& via = runs[1].at("totals");
  EXPECT_EQ(via.at("failed").as_int64(), 0);
  EXPECT_EQ(via.at("backend_peak_connections").as_int64(), 4);
  EXPECT_EQ(via.at("funnel_link_budget").as_int64(), 5);
  for (const auto& kind :
       {"connect_refused", "emfile", "max_clients", "timeout", "throttled", "other"}) {
    EXPECT_TRUE(via.at("errors").as_object().contains(kind)) << kind;
  }
}

// The hot-key workload's figures: in result.json under totals.hot_key (only for that workload),
// and as rows of the summary table that both the terminal and the HTML show.
TEST(ReportJson, HotKeyFigures) {
  StormReport report = testing::sample_report();
  report.scenario.workload = Workload::kHotKey;
  HotKeyTotals& h = report.runs[1].totals.hot;
  h.enabled = true;
  h.writer = "funnel";
  h.reads = 50;
  h.writes = 120;
  h.stale_reads = 2;
  h.max_staleness_ms = 1.25;
  h.backend_reads = 5;
  h.backend_commands_per_invocation = 0.1;
  h.near_cache_hits = 40;
  h.near_cache_share = 0.8;
  const json::value v = json::parse(report_json(report));
  EXPECT_EQ(v.at("scenario").at("workload").as_string(), "hot-key");
  EXPECT_EQ(v.at("scenario").at("hot_keys").as_int64(), 100);
  const auto& runs = v.at("runs").as_array();
  EXPECT_FALSE(runs[0].at("totals").as_object().contains("hot_key"));
  const auto& hot = runs[1].at("totals").at("hot_key");
  EXPECT_EQ(hot.at("writer").as_string(), "funnel");
  EXPECT_EQ(hot.at("stale_reads").as_int64(), 2);
  EXPECT_DOUBLE_EQ(hot.at("max_staleness_ms").as_double(), 1.25);
  EXPECT_DOUBLE_EQ(hot.at("backend_commands_per_invocation").as_double(), 0.1);
  EXPECT_EQ(hot.at("coalesced").as_int64(), -1);  // not observed
  const std::string table = summary_table(report);
  EXPECT_NE(table.find("backend reads per invocation"), std::string::npos) << table;
  EXPECT_NE(table.find("80.0%"), std::string::npos) << table;
  EXPECT_NE(table.find("1.250"), std::string::npos) << table;
  EXPECT_NE(report_html(report).find("served by the near cache"), std::string::npos);
  EXPECT_NE(table.find("2 stale reads"), std::string::npos) << table;  // the finding
  // The hash workload has none of these rows.
  EXPECT_EQ(summary_table(testing::sample_report()).find("stale reads"), std::string::npos);
}

TEST(ReportJson, SeriesHaveOneValuePerInterval) {
  const json::value v = json::parse(report_json(testing::sample_report()));
  const auto& series = v.at("runs").as_array()[0].at("series").as_object();
  const std::size_t n = series.at("t_s").as_array().size();
  EXPECT_EQ(n, 6u);
  for (const auto& [name, values] : series) EXPECT_EQ(values.as_array().size(), n) << name;
  EXPECT_TRUE(series.at("p99_ms").as_array()[5].is_null());
  EXPECT_FALSE(v.at("findings").as_array().empty());
}

}  // namespace
}  // namespace funnel::storm
