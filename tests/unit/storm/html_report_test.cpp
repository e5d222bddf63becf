// report.html: well-formed, self-contained, with every chart of the case's dashboards and each
// chart's data points for both runs; the summary and findings.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>

#include "html_check.hpp"
#include "sample_report.hpp"
#include "storm/storm_report.hpp"

namespace funnel::storm {
namespace {

// data-series -> data-points for the chart with data-chart="id".
std::map<std::string, int> chart_points(const std::string& html, const std::string& id) {
  std::map<std::string, int> points;
  const auto start = html.find("data-chart=\"" + id + "\"");
  if (start == std::string::npos) return points;
  const std::string svg = html.substr(start, html.find("</svg>", start) - start);
  const std::regex series(R"re(data-series="([^"]*)" data-points="(\d+)")re");
  for (std::sregex_iterator it(svg.begin(), svg.end(), series), end; it != end; ++it) {
    points[(*it)[1]] = std::stoi((*it)[2]);
  }
  return points;
}

int finite_count(const std::vector<double>& values) {
  return static_cast<int>(
      std::count_if(values.begin(), values.end(), [](double v) { return std::isfinite(v); }));
}

TEST(HtmlCheck, CatchesBrokenMarkup) {
  EXPECT_EQ(testing::check_html("<html><body><p class=\"a\">x</p><br></body></html>"), "");
  EXPECT_NE(testing::check_html("<div><p></div></p>"), "");
  EXPECT_NE(testing::check_html("<div>"), "");
  EXPECT_NE(testing::check_html("<p class=a></p>"), "");
  EXPECT_NE(testing::check_html("<script src=\"x.js\"></script>"), "");
}

TEST(HtmlReport, IsWellFormedAndSelfContained) {
  const std::string html = report_html(testing::sample_report());
  EXPECT_EQ(testing::check_html(html), "");
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
}

TEST(HtmlReport, EveryChartHasBothRunsDataPoints) {
  const StormReport report = testing::sample_report();
  const std::string html = report_html(report);
  const Series& direct = report.runs[0].series;
  const Series& via = report.runs[1].series;
  const std::pair<const char*, std::vector<double> Series::*> charts[] = {
      {"requests", &Series::requests},
      {"errors", &Series::errors},
      {"concurrency", &Series::concurrency},
      {"backend-connections", &Series::backend_connections},
      {"backend-new-connections", &Series::backend_new_connections},
  };
  for (const auto& [id, field] : charts) {
    const auto points = chart_points(html, id);
    ASSERT_EQ(points.size(), 2u) << id;
    EXPECT_EQ(points.at("direct"), finite_count(direct.*field)) << id;
    EXPECT_EQ(points.at("through Funnel"), finite_count(via.*field)) << id;
    EXPECT_GT(points.at("direct"), 0) << id;
  }
  const auto latency = chart_points(html, "latency");
  EXPECT_EQ(latency.size(), 6u);  // p50, p95, p99 per run
  EXPECT_EQ(latency.at("direct p99"), finite_count(direct.p99_ms));
  EXPECT_EQ(latency.at("through Funnel p50"), finite_count(via.p50_ms));
  const auto clients = chart_points(html, "funnel-clients");
  EXPECT_EQ(clients.size(), 1u);
  EXPECT_EQ(clients.at("through Funnel"), finite_count(via.funnel_clients));
  EXPECT_NE(html.find("backend maxclients 20"), std::string::npos);  // the limit line
}

TEST(HtmlReport, SummaryAndFindings) {
  const std::string html = report_html(testing::sample_report());
  EXPECT_NE(html.find("<th>direct</th><th>through Funnel</th>"), std::string::npos);
  EXPECT_NE(html.find("max clients reached"), std::string::npos);
  EXPECT_NE(html.find("Through Funnel: all 50 invocations served"), std::string::npos);
  EXPECT_NE(html.find("Direct: 5 of 50 invocations failed"), std::string::npos);
}

TEST(HtmlReport, LeakyRunsSayFunnelDoesNotFixEmfile) {
  StormReport report = testing::sample_report();
  report.scenario.strategy = Strategy::kLeakySingleton;
  for (auto& run : report.runs) run.totals.errors[static_cast<std::size_t>(ErrorKind::kEmfile)] = 3;
  const auto text = findings(report);
  const bool said = std::any_of(text.begin(), text.end(), [](const std::string& f) {
    return f.find("EMFILE appeared on both paths") != std::string::npos &&
           f.find("pooled") != std::string::npos;
  });
  EXPECT_TRUE(said);
  EXPECT_EQ(testing::check_html(report_html(report)), "");
}

TEST(HtmlReport, ProbeReport) {
  StormReport report;
  report.mode = "probe";
  ProbeResult probe;
  probe.path = "direct";
  probe.target = "127.0.0.1:6379";
  for (double rate : {100.0, 150.0, 225.0}) {
    ProbeStep s;
    s.target_rate = rate;
    s.achieved_rate = rate;
    s.invocations = 300;
    s.latency_ms.p99 = rate / 10;
    judge_step(s, probe.limits, 2);
    probe.steps.push_back(s);
  }
  conclude_probe(probe);
  report.probes.push_back(probe);
  const std::string html = report_html(report);
  EXPECT_EQ(testing::check_html(html), "");
  EXPECT_EQ(chart_points(html, "probe-p99").at("direct"), 3);
  EXPECT_NE(html.find("Highest sustainable rate"), std::string::npos);
  EXPECT_NE(summary_table(report).find("probe direct"), std::string::npos);
}

}  // namespace
}  // namespace funnel::storm
