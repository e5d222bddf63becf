// Inline SVG line charts for report.html: axes with round ticks, one polyline per series (broken
// where data is missing), a dot per point with a tooltip, an optional reference line (a limit
// such as maxclients). Every series carries data-series and data-points attributes so tests can
// check the drawn data. No I/O, no scripts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace funnel::storm {

struct ChartSeries {
  std::string name;   // legend text and data-series attribute
  std::string color;  // CSS color
  std::vector<double> x;
  std::vector<double> y;  // NaN: no data at that x
  std::string dash;       // stroke-dasharray, "" for solid
};

struct ChartSpec {
  std::string id;  // data-chart attribute, e.g. "requests"
  std::string title;
  std::string x_label = "seconds since start";
  std::string y_label;
  std::vector<ChartSeries> series;
  bool log_y = false;               // for latencies, which span 0.1 ms to seconds
  std::optional<double> reference;  // a horizontal line at this y
  std::string reference_label;
  int width = 640;
  int height = 280;
};

// Round tick values covering [low, high]: about `count` of them, at steps of 1, 2 or 5 times a
// power of ten, the first <= low and the last >= high.
std::vector<double> nice_ticks(double low, double high, int count);
// A tick label: integers with thousands separators, small values with up to two decimals.
std::string tick_label(double value);
// Escapes &, <, >, " and ' for HTML/SVG text and attributes.
std::string html_escape(std::string_view text);
// The chart as an <svg> element.
std::string render_line_chart(const ChartSpec& spec);

}  // namespace funnel::storm
