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
