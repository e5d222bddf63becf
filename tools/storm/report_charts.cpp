// The report's charts (see report_charts.hpp).
#include "storm/report_charts.hpp"

#include <fmt/format.h>

namespace funnel::storm {
namespace {

using SeriesField = std::vector<double> Series::*;

ChartSpec chart_of(const StormReport& report, std::string id, std::string title,
                   std::string y_label, SeriesField field) {
  ChartSpec spec;
  spec.id = std::move(id);
  spec.title = std::move(title);
  spec.y_label = std::move(y_label);
  for (const auto& run : report.runs) {
    spec.series.push_back(
        {path_display_name(run.path), path_color(run.path), run.series.t_s, run.series.*field, ""});
  }
  return spec;
}

ChartSpec latency_chart(const StormReport& report) {
  ChartSpec spec;
  spec.id = "latency";
  spec.title = "Invocation latency p50 / p95 / p99 (connect + commands, queue wait)";
  spec.y_label = "ms (log scale)";
  spec.log_y = true;
  const std::pair<const char*, SeriesField> percentiles[] = {
      {"p99", &Series::p99_ms}, {"p95", &Series::p95_ms}, {"p50", &Series::p50_ms}};
  const char* dashes[] = {"", "6 3", "2 3"};
  for (const auto& run : report.runs) {
    for (std::size_t i = 0; i < 3; ++i) {
      spec.series.push_back(
          {fmt::format("{} {}", path_display_name(run.path), percentiles[i].first),
           path_color(run.path), run.series.t_s, run.series.*(percentiles[i].second), dashes[i]});
    }
  }
  return spec;
}

std::int64_t backend_maxclients(const StormReport& report) {
  std::int64_t limit = -1;
  for (const auto& run : report.runs) limit = std::max(limit, run.totals.backend_maxclients);
  return limit;
}

ChartSpec probe_chart(const StormReport& report, std::string id, std::string title,
                      std::string y_label, double (*value)(const ProbeStep&)) {
  ChartSpec spec;
  spec.id = std::move(id);
  spec.title = std::move(title);
  spec.y_label = std::move(y_label);
  spec.x_label = "target rate of new invocations per second";
  for (const auto& probe : report.probes) {
    ChartSeries s{path_display_name(probe.path), path_color(probe.path), {}, {}, ""};
    for (const auto& step : probe.steps) {
      s.x.push_back(step.target_rate);
      s.y.push_back(value(step));
    }
    spec.series.push_back(std::move(s));
  }
  return spec;
}

}  // namespace

std::string path_display_name(std::string_view path) {
  if (path == "funnel") return "through Funnel";
  return std::string(path);
}

std::string path_color(std::string_view path) {
  return path == "funnel" ? "#1971c2" : "#e8590c";
}

std::vector<ChartSpec> run_charts(const StormReport& report) {
  if (report.runs.empty()) return {};
  const std::string per = fmt::format("per {} s", report.runs.front().bin_s);
  std::vector<ChartSpec> charts;
  charts.push_back(chart_of(report, "requests", "Invocations completed per interval",
                            "invocations " + per, &Series::requests));
  charts.push_back(chart_of(report, "errors", "Failed invocations per interval (the 5XX analog)",
                            "failed " + per, &Series::errors));
  charts.push_back(chart_of(report, "concurrency", "Concurrent invocations (busy containers)",
                            "invocations", &Series::concurrency));
  ChartSpec current = chart_of(report, "backend-connections",
                               "Backend current connections (INFO connected_clients)",
                               "connections", &Series::backend_connections);
  if (const auto limit = backend_maxclients(report); limit > 0) {
    current.reference = static_cast<double>(limit);
    current.reference_label = fmt::format("backend maxclients {}", limit);
  }
  charts.push_back(std::move(current));
  charts.push_back(chart_of(report, "backend-new-connections",
                            "Backend new connections per interval", "new connections " + per,
                            &Series::backend_new_connections));
  charts.push_back(latency_chart(report));
  if (find_run(report, "funnel") != nullptr) {
    ChartSpec clients = chart_of(report, "funnel-clients", "Client connections held by Funnel",
                                 "connections", &Series::funnel_clients);
    std::erase_if(clients.series, [](const ChartSeries& s) { return s.name != "through Funnel"; });
    charts.push_back(std::move(clients));
  }
  return charts;
}

std::vector<ChartSpec> probe_charts(const StormReport& report) {
  if (report.probes.empty()) return {};
  std::vector<ChartSpec> charts;
  auto p99 = probe_chart(report, "probe-p99", "p99 latency per rate step", "ms (log scale)",
                         [](const ProbeStep& s) { return s.latency_ms.p99; });
  p99.log_y = true;
  p99.reference = report.probes.front().limits.p99_ms;
  p99.reference_label = fmt::format("threshold {} ms", report.probes.front().limits.p99_ms);
  charts.push_back(std::move(p99));
  charts.push_back(probe_chart(report, "probe-achieved", "Achieved rate per step",
                               "completed per second",
                               [](const ProbeStep& s) { return s.achieved_rate; }));
  charts.push_back(probe_chart(
      report, "probe-errors", "Error rate per step", "% failed", [](const ProbeStep& s) {
        return s.invocations == 0
                   ? 0.0
                   : 100.0 * static_cast<double>(s.failed) / static_cast<double>(s.invocations);
      }));
  charts.push_back(probe_chart(report, "probe-cpu", "funnel-storm's own CPU use per step", "cores",
                               [](const ProbeStep& s) { return s.storm_cpu_cores; }));
  return charts;
}

}  // namespace funnel::storm
