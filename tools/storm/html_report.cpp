// report.html (see storm_report.hpp): one self-contained page, inline CSS and SVG only, so it
// opens offline and can be attached to a ticket as a single file.
#include <fmt/format.h>

#include "storm/report_charts.hpp"
#include "storm/storm_report.hpp"
#include "storm/svg_chart.hpp"

namespace funnel::storm {
namespace {

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#212529;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #dee2e6;padding-bottom:4px}
.meta{color:#495057;font-size:14px}
ul.findings{font-size:15px;line-height:1.45;padding-left:20px}ul.findings li{margin:4px 0}
table{border-collapse:collapse;font-size:14px}th,td{padding:4px 12px;border-bottom:1px solid #e9ecef}
th{text-align:left;background:#f8f9fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:18px}
.card{border:1px solid #dee2e6;border-radius:6px;padding:8px}
svg.chart{width:100%;height:auto;display:block}
svg.chart .chart-title{font-size:14px;font-weight:600;fill:#212529}
svg.chart .tick,svg.chart .legend{font-size:11px;fill:#495057}
svg.chart .axis-label{font-size:11px;fill:#868e96}
svg.chart line.grid{stroke:#e9ecef;stroke-width:1}svg.chart line.axis{stroke:#adb5bd;stroke-width:1}
svg.chart line.reference{stroke:#c92a2a;stroke-width:1.5;stroke-dasharray:6 4}
svg.chart .reference-label{font-size:11px;fill:#c92a2a}
svg.chart polyline{fill:none;stroke-width:2;stroke-linejoin:round}
.note{font-size:13px;color:#495057}
)";

std::string header(const StormReport& r) {
  std::string paths;
  for (const auto& run : r.runs) {
    if (!paths.empty()) paths += " vs ";
    paths += fmt::format("{} ({})", path_display_name(run.path), run.target);
  }
  const std::string what =
      r.runs.empty() ? std::string(
                           "new short-lived invocations (connect, command, QUIT), the rate "
                           "raised step by step")
                     : fmt::format("{} scenario, {} strategy", profile_name(r.scenario.profile),
                                   strategy_name(r.scenario.strategy));
  return fmt::format(
      "<h1>funnel-storm {}: {}</h1>\n<p class=\"meta\">{}{}funnel-storm {}, started {}</p>\n",
      html_escape(r.mode), html_escape(what), html_escape(paths), paths.empty() ? "" : " &middot; ",
      html_escape(r.version), html_escape(r.started_at));
}

std::string findings_html(const StormReport& r) {
  std::string out = "<h2>Findings</h2>\n<ul class=\"findings\">\n";
  for (const auto& f : findings(r)) out += "<li>" + html_escape(f) + "</li>\n";
  return out + "</ul>\n";
}

std::string summary_html(const StormReport& r) {
  if (r.runs.empty()) return "";
  std::string out = "<h2>Summary</h2>\n<table class=\"summary\">\n<tr><th></th>";
  for (const auto& run : r.runs) out += "<th>" + html_escape(path_display_name(run.path)) + "</th>";
  out += "</tr>\n";
  for (const auto& row : summary_rows(r.runs)) {
    out += "<tr><td>" + html_escape(row.label) + "</td>";
    for (const auto& cell : row.cells) out += "<td class=\"num\">" + html_escape(cell) + "</td>";
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string charts_html(const std::string& title, const std::vector<ChartSpec>& charts) {
  if (charts.empty()) return "";
  std::string out = "<h2>" + html_escape(title) + "</h2>\n<div class=\"grid\">\n";
  for (const auto& chart : charts)
    out += "<div class=\"card\">" + render_line_chart(chart) + "</div>\n";
  return out + "</div>\n";
}

std::string probe_html(const StormReport& r) {
  std::string out;
  for (const auto& p : r.probes) {
    out += fmt::format(
        "<h2>Probe: {} ({})</h2>\n<p class=\"note\">Highest sustainable rate: "
        "<b>{:.0f} new invocations/s</b>. Stopped {}.</p>\n",
        html_escape(path_display_name(p.path)), html_escape(p.target), p.sustainable_rate,
        html_escape(p.stop_reason));
    out +=
        "<table><tr><th>target/s</th><th>reached/s</th><th>p50 ms</th><th>p99 ms</th>"
        "<th>failed</th><th>storm CPU (cores)</th><th>machine CPU (cores)</th><th>verdict</th>"
        "</tr>\n";
    for (const auto& s : p.steps) {
      out += fmt::format(
          "<tr><td class=\"num\">{:.0f}</td><td class=\"num\">{:.0f}</td><td class=\"num\">{:.2f}"
          "</td><td class=\"num\">{:.2f}</td><td class=\"num\">{}</td><td class=\"num\">{:.2f}</td>"
          "<td class=\"num\">{:.2f}</td><td>{}</td></tr>\n",
          s.target_rate, s.achieved_rate, s.latency_ms.p50, s.latency_ms.p99, s.failed,
          s.storm_cpu_cores, s.machine_busy_cores, html_escape(s.verdict));
    }
    out += "</table>\n";
  }
  return out;
}

std::string scenario_html(const StormReport& r) {
  const Scenario& s = r.scenario;
  const std::pair<std::string, std::string> rows[] = {
      {"profile", std::string(profile_name(s.profile))},
      {"strategy", std::string(strategy_name(s.strategy))},
      {"duration", fmt::format("{} s", s.duration_s)},
      {"baseline / peak concurrency (launch-event)",
       fmt::format("{} / {}", s.baseline_concurrency, s.peak_concurrency)},
      {"rate / rate-end (constant, ramp)", fmt::format("{} / {} per s", s.rate, s.rate_end)},
      {"containers (max)", std::to_string(effective_containers(s))},
      {"descriptor limit per container", std::to_string(s.fd_limit)},
      {"think time holding the client", fmt::format("{} ms", s.think_ms)},
      {"arrivals per wave", std::to_string(s.burst)},
      {"timeout", fmt::format("{} ms", s.timeout_ms)},
      {"commands per invocation",
       s.workload == Workload::kHotKey
           ? fmt::format("{} GET ({} B values)", s.mix.commands, s.mix.value_size)
           : fmt::format("{} on hash {} ({} fields, {}% writes, {} B values)", s.mix.commands,
                         s.mix.key, s.mix.fields, 100 * s.mix.write_ratio, s.mix.value_size)},
      {"INFO sample period / report interval", fmt::format("{} ms / {} ms", s.sample_ms, s.bin_ms)},
  };
  std::string out = "<h2>Scenario</h2>\n<table>\n";
  for (const auto& [k, v] : rows) {
    out += "<tr><td>" + html_escape(k) + "</td><td>" + html_escape(v) + "</td></tr>\n";
  }
  if (s.workload == Workload::kHotKey) {
    const std::string hot =
        fmt::format("GETs of {} keys {}0.. (Zipf s={}); a writer SETs the {} hottest at {}/s, {}",
                    s.hot.keys, s.hot.prefix, s.hot.zipf_s, s.hot.written_keys, s.hot.write_rate,
                    s.hot.direct_writer ? "straight to the backend" : "through the run's target");
    out += "<tr><td>hot-key workload</td><td>" + html_escape(hot) + "</td></tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::string report_html(const StormReport& report) {
  std::string title = fmt::format("funnel-storm {} report", report.mode);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta "
      "name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n",
      html_escape(title), kStyle);
  out += header(report);
  out += findings_html(report);
  out += summary_html(report);
  out += charts_html("Charts (every run on the same axes)", run_charts(report));
  out += probe_html(report);
  out += charts_html("Probe charts", probe_charts(report));
  if (!report.runs.empty()) out += scenario_html(report);
  out +=
      "<p class=\"note\">Generated by funnel-storm. This page is self-contained: no scripts, "
      "fonts or other external resources.</p>\n</body>\n</html>\n";
  return out;
}

}  // namespace funnel::storm
