// Everything one funnel-storm command produced (a run, a compare of two runs, or a probe), and
// the renderings of it: result.json, report.html, the terminal summary and the plain-language
// findings both show. Pure functions of the data; the caller writes the files.
#pragma once

#include <string>
#include <vector>

#include "storm/probe_result.hpp"
#include "storm/run_result.hpp"
#include "storm/scenario.hpp"

namespace funnel::storm {

struct StormReport {
  std::string mode;        // "run", "compare" or "probe"
  std::string version;     // funnel-storm's version
  std::string started_at;  // ISO 8601, UTC
  Scenario scenario;
  std::vector<RunResult> runs;      // run: one; compare: direct then funnel
  std::vector<ProbeResult> probes;  // probe: direct, then funnel if --via was given
};

// result.json: scenario, per-path totals (invocations, ok, failed, errors by kind, backend peak
// connections ...) and series, probes.
std::string report_json(const StormReport& report);
// report.html: self-contained (inline CSS and SVG, no scripts, no external resources).
std::string report_html(const StormReport& report);
// The side-by-side table printed at the end of a run.
std::string summary_table(const StormReport& report);
// One sentence per finding (what failed and why, what Funnel changed, what fixes the rest).
std::vector<std::string> findings(const StormReport& report);

// One row of the side-by-side summary: a measure and its value per run, already formatted.
struct SummaryRow {
  std::string label;
  std::vector<std::string> cells;
};
std::vector<SummaryRow> summary_rows(const std::vector<RunResult>& runs);

// "1,234,567": thousands separated, for tables and prose.
std::string group_thousands(std::uint64_t n);
// The run whose path is `path`, or nullptr.
const RunResult* find_run(const StormReport& report, std::string_view path);

}  // namespace funnel::storm
