// The terminal summary (see storm_report.hpp): runs side by side, one row per measure, then the
// probe results and the findings.
#include <fmt/format.h>

#include "storm/storm_report.hpp"

namespace funnel::storm {
namespace {

std::string count_or_dash(std::int64_t n) {
  return n < 0 ? "-" : group_thousands(static_cast<std::uint64_t>(n));
}

std::string share_or_dash(double share) {
  return share < 0 ? "-" : fmt::format("{:.1f}%", share * 100);
}

// The hot-key workload's rows (issue #18 item 5), when any run has them.
void add_hot_key_rows(const std::vector<RunResult>& runs, std::vector<SummaryRow>& rows) {
  bool any = false;
  for (const auto& run : runs) any = any || run.totals.hot.enabled;
  if (!any) return;
  auto add = [&](std::string label, auto cell) {
    SummaryRow row{std::move(label), {}};
    for (const auto& run : runs) {
      row.cells.push_back(run.totals.hot.enabled ? cell(run.totals.hot) : std::string("-"));
    }
    rows.push_back(std::move(row));
  };
  add("reads (GET replies)", [](const HotKeyTotals& h) { return group_thousands(h.reads); });
  add("backend reads per invocation", [](const HotKeyTotals& h) {
    return h.backend_commands_per_invocation < 0
               ? std::string("-")
               : fmt::format("{:.3f}", h.backend_commands_per_invocation);
  });
  add("served by coalescing",
      [](const HotKeyTotals& h) { return share_or_dash(h.coalesced_share); });
  add("served by the near cache",
      [](const HotKeyTotals& h) { return share_or_dash(h.near_cache_share); });
  add("writes acknowledged (writer)", [](const HotKeyTotals& h) {
    return fmt::format("{} ({})", group_thousands(h.writes), h.writer);
  });
  add("stale reads", [](const HotKeyTotals& h) { return group_thousands(h.stale_reads); });
  add("max staleness ms",
      [](const HotKeyTotals& h) { return fmt::format("{:.3f}", h.max_staleness_ms); });
}

}  // namespace

std::vector<SummaryRow> summary_rows(const std::vector<RunResult>& runs) {
  std::vector<SummaryRow> rows;
  auto add = [&](std::string label, auto cell) {
    SummaryRow row{std::move(label), {}};
    for (const auto& run : runs) row.cells.push_back(cell(run.totals));
    rows.push_back(std::move(row));
  };
  add("invocations", [](const Totals& t) { return group_thousands(t.invocations); });
  add("ok", [](const Totals& t) { return group_thousands(t.ok); });
  add("failed", [](const Totals& t) { return group_thousands(t.failed); });
  for (ErrorKind kind : kFailureKinds) {
    const auto k = static_cast<std::size_t>(kind);
    bool any = false;
    for (const auto& run : runs) any = any || run.totals.errors[k] > 0;
    if (!any) continue;
    add(fmt::format("  {}", error_kind_label(kind)),
        [k](const Totals& t) { return group_thousands(t.errors[k]); });
  }
  add("latency p50 / p99 ms", [](const Totals& t) {
    return fmt::format("{:.2f} / {:.2f}", t.latency_ms.p50, t.latency_ms.p99);
  });
  add("peak concurrency", [](const Totals& t) { return std::to_string(t.peak_concurrency); });
  add("backend peak connections",
      [](const Totals& t) { return count_or_dash(t.backend_peak_connections); });
  add("backend maxclients", [](const Totals& t) { return count_or_dash(t.backend_maxclients); });
  add("backend new connections",
      [](const Totals& t) { return count_or_dash(t.backend_new_connections); });
  add("funnel peak clients", [](const Totals& t) { return count_or_dash(t.funnel_peak_clients); });
  add("funnel link budget", [](const Totals& t) { return count_or_dash(t.funnel_link_budget); });
  add_hot_key_rows(runs, rows);
  return rows;
}

namespace {

std::string render(const std::vector<std::string>& header, const std::vector<SummaryRow>& rows) {
  std::size_t label_width = 26;
  std::size_t cell_width = 16;
  for (const auto& row : rows) {
    label_width = std::max(label_width, row.label.size() + 2);
    for (const auto& cell : row.cells) cell_width = std::max(cell_width, cell.size() + 2);
  }
  std::string out = fmt::format("{:<{}}", "", label_width);
  for (const auto& h : header) out += fmt::format("{:>{}}", h, cell_width);
  out += '\n';
  for (const auto& row : rows) {
    out += fmt::format("{:<{}}", row.label, label_width);
    for (const auto& cell : row.cells) out += fmt::format("{:>{}}", cell, cell_width);
    out += '\n';
  }
  return out;
}

std::string probe_table(const std::vector<ProbeResult>& probes) {
  std::string out;
  for (const auto& probe : probes) {
    out += fmt::format("probe {} ({}):\n", probe.path, probe.target);
    out += fmt::format("  {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}  {}\n", "target/s", "reached/s",
                       "p99 ms", "errors", "storm cpu", "all cpu", "verdict");
    for (const auto& s : probe.steps) {
      out +=
          fmt::format("  {:>10.0f} {:>10.0f} {:>10.2f} {:>9} {:>9.2f} {:>9.2f}  {}\n",
                      s.target_rate, s.achieved_rate, s.latency_ms.p99, group_thousands(s.failed),
                      s.storm_cpu_cores, s.machine_busy_cores, s.verdict);
    }
  }
  return out;
}

}  // namespace

std::string summary_table(const StormReport& report) {
  std::string out;
  if (!report.runs.empty()) {
    std::vector<std::string> header;
    for (const auto& run : report.runs) header.push_back(run.path);
    out +=
        fmt::format("funnel-storm {} — {} scenario, {} strategy\n", report.mode,
                    profile_name(report.scenario.profile), strategy_name(report.scenario.strategy));
    out += render(header, summary_rows(report.runs));
  }
  out += probe_table(report.probes);
  out += '\n';
  for (const auto& finding : findings(report)) out += "* " + finding + "\n";
  return out;
}

}  // namespace funnel::storm
