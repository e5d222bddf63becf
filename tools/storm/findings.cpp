// Plain-language findings (see storm_report.hpp): what failed and why, what Funnel changed, and
// what a proxy cannot fix. Shared by the terminal summary, result.json and report.html.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "storm/storm_report.hpp"

namespace funnel::storm {
namespace {

std::string path_label(const RunResult& run) {
  return run.path == "funnel" ? "Through Funnel" : run.path == "direct" ? "Direct" : run.path;
}

std::string error_breakdown(const Totals& t) {
  std::string out;
  for (ErrorKind kind : kFailureKinds) {
    const auto n = t.errors[static_cast<std::size_t>(kind)];
    if (n == 0) continue;
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", error_kind_label(kind), group_thousands(n));
  }
  return out;
}

std::string run_finding(const RunResult& run) {
  const Totals& t = run.totals;
  std::string text;
  if (t.failed == 0) {
    text = fmt::format("{}: all {} invocations served", path_label(run),
                       group_thousands(t.invocations));
  } else {
    text = fmt::format("{}: {} of {} invocations failed ({:.1f}%): {}", path_label(run),
                       group_thousands(t.failed), group_thousands(t.invocations),
                       100.0 * static_cast<double>(t.failed) / static_cast<double>(t.invocations),
                       error_breakdown(t));
  }
  if (t.backend_peak_connections >= 0) {
    text += fmt::format("; the backend held at most {} connections",
                        group_thousands(static_cast<std::uint64_t>(t.backend_peak_connections)));
    if (t.funnel_link_budget >= 0) {
      text += fmt::format(" (Funnel's link budget is {}, plus 1 for funnel-storm's INFO sampler)",
                          t.funnel_link_budget);
    }
    if (t.backend_new_connections >= 0) {
      text += fmt::format(" and accepted {} new ones",
                          group_thousands(static_cast<std::uint64_t>(t.backend_new_connections)));
    }
  }
  return text + ".";
}

void leaky_findings(const StormReport& report, std::vector<std::string>& out) {
  std::vector<std::string> with_emfile;
  int most_held = 0;
  for (const auto& run : report.runs) {
    if (run.totals.errors[static_cast<std::size_t>(ErrorKind::kEmfile)] > 0) {
      with_emfile.push_back(path_label(run));
    }
    most_held = std::max(most_held, run.totals.max_container_connections);
  }
  if (with_emfile.empty()) {
    out.push_back(
        fmt::format("No container reached its descriptor limit ({}) in this run (at most {} open "
                    "connections in one container); a longer or busier run leaks until EMFILE.",
                    report.scenario.fd_limit, most_held));
    return;
  }
  const std::string where =
      with_emfile.size() == report.runs.size() && report.runs.size() > 1
          ? "on both paths"
          : "on the " + fmt::format("{}", fmt::join(with_emfile, ", ")) + " path";
  out.push_back(fmt::format(
      "EMFILE appeared {}: the leaky singleton exhausts the function container's own file "
      "descriptors (limit {}), as in the case. Funnel protects the backend, not the function's "
      "descriptors; fix that part in the function with the pooled strategy (one connection per "
      "container, reused across invocations).",
      where, report.scenario.fd_limit));
}

void compare_findings(const StormReport& report, std::vector<std::string>& out) {
  const RunResult* direct = find_run(report, "direct");
  const RunResult* via = find_run(report, "funnel");
  if (direct == nullptr || via == nullptr) return;
  if (direct->totals.failed > 0 && via->totals.failed == 0) {
    out.push_back(fmt::format(
        "The same storm through Funnel caused no failed invocations: backend connections peaked "
        "at {} instead of {}.",
        group_thousands(static_cast<std::uint64_t>(
            std::max<std::int64_t>(via->totals.backend_peak_connections, 0))),
        group_thousands(static_cast<std::uint64_t>(
            std::max<std::int64_t>(direct->totals.backend_peak_connections, 0)))));
  }
  if (via->totals.funnel_rejected_connections > 0) {
    out.push_back(fmt::format(
        "Funnel itself refused {} client connections at its --max-clients limit: leaked "
        "connections pile up in Funnel instead of the backend.",
        via->totals.funnel_rejected_connections));
  }
}

void probe_findings(const StormReport& report, std::vector<std::string>& out) {
  for (const auto& probe : report.probes) {
    out.push_back(fmt::format(
        "{}: highest sustainable rate of new short-lived invocations {:.0f}/s (p99 <= {} ms, "
        "errors <= {}%); stopped {}.",
        probe.path == "funnel" ? "Through Funnel" : "Direct", probe.sustainable_rate,
        probe.limits.p99_ms, 100 * probe.limits.max_error_rate, probe.stop_reason));
    if (probe.storm_limited) {
      out.push_back(fmt::format(
          "{}: funnel-storm itself was the bottleneck at the last step; the endpoint sustains at "
          "least {:.0f}/s. Run funnel-storm on another machine to find its real limit.",
          probe.path == "funnel" ? "Through Funnel" : "Direct", probe.sustainable_rate));
    }
  }
}

// The hot-key workload: what the backend paid per invocation and whether any read was stale.
std::string hot_key_finding(const RunResult& run) {
  const HotKeyTotals& h = run.totals.hot;
  std::string text = fmt::format("{}: hot keys: ", path_label(run));
  if (h.backend_commands_per_invocation >= 0) {
    text += fmt::format("{:.3f} backend reads (GET, PTTL) per invocation",
                        h.backend_commands_per_invocation);
    if (h.near_cache_share > 0 || h.coalesced_share > 0) {
      text += fmt::format(" ({:.1f}% of reads from the near cache, {:.1f}% coalesced)",
                          100 * std::max(h.near_cache_share, 0.0),
                          100 * std::max(h.coalesced_share, 0.0));
    }
    text += "; ";
  }
  if (h.stale_reads == 0) {
    return text + fmt::format("no stale read in {} checked (writer: {}).",
                              group_thousands(h.reads - h.unversioned_reads), h.writer);
  }
  return text + fmt::format(
                    "{} stale reads (a version older than a write acknowledged before the read "
                    "began), at most {:.3f} ms after the newer write's acknowledgement (writer: "
                    "{}{}).",
                    group_thousands(h.stale_reads), h.max_staleness_ms, h.writer,
                    h.writer == "direct" && run.path == "funnel"
                        ? "; a write that bypasses Funnel is seen once Redis's invalidation "
                          "reaches it"
                        : "");
}

}  // namespace

std::vector<std::string> findings(const StormReport& report) {
  std::vector<std::string> out;
  for (const auto& run : report.runs) {
    out.push_back(run_finding(run));
    if (run.totals.hot.enabled) out.push_back(hot_key_finding(run));
    if (!run.totals.stopped_early.empty()) {
      out.push_back(
          fmt::format("{}: the run stopped early: {}.", path_label(run), run.totals.stopped_early));
    }
  }
  compare_findings(report, out);
  if (!report.runs.empty() && report.scenario.strategy == Strategy::kLeakySingleton) {
    leaky_findings(report, out);
  }
  probe_findings(report, out);
  return out;
}

std::string group_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

const RunResult* find_run(const StormReport& report, std::string_view path) {
  for (const auto& run : report.runs) {
    if (run.path == path) return &run;
  }
  return nullptr;
}

}  // namespace funnel::storm
