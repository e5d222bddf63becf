// The report's charts, as chart specs built from the results: the case's dashboards (requests,
// errors, concurrency, backend current and new connections, latency percentiles) with every run
// on the same axes, and the probe's rate steps. No I/O.
#pragma once

#include <vector>

#include "storm/storm_report.hpp"
#include "storm/svg_chart.hpp"

namespace funnel::storm {

// Display name and color of a run's path ("direct", "through Funnel").
std::string path_display_name(std::string_view path);
std::string path_color(std::string_view path);

std::vector<ChartSpec> run_charts(const StormReport& report);
std::vector<ChartSpec> probe_charts(const StormReport& report);

}  // namespace funnel::storm
