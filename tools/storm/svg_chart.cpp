// Inline SVG line charts (see svg_chart.hpp).
#include "storm/svg_chart.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace funnel::storm {
namespace {

constexpr double kLeft = 64, kRight = 24, kTop = 52, kBottom = 42, kLegendRow = 15;

struct Scale {
  double lo = 0, hi = 1;  // domain (log10 of it for a log axis)
  double out_lo = 0, out_hi = 1;
  bool log = false;
  double map(double v) const {
    double d = log ? std::log10(std::max(v, std::pow(10.0, lo))) : v;
    return out_lo + (d - lo) / (hi - lo) * (out_hi - out_lo);
  }
};

struct Extent {
  double x_min = INFINITY, x_max = -INFINITY, y_max = 0, y_min_positive = INFINITY;
};

Extent extent_of(const ChartSpec& spec) {
  Extent e;
  for (const auto& s : spec.series) {
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      e.x_min = std::min(e.x_min, s.x[i]);
      e.x_max = std::max(e.x_max, s.x[i]);
      if (std::isnan(s.y[i])) continue;
      e.y_max = std::max(e.y_max, s.y[i]);
      if (s.y[i] > 0) e.y_min_positive = std::min(e.y_min_positive, s.y[i]);
    }
  }
  // Headroom above a limit line, so that it and its label stay clear of the top edge.
  if (spec.reference) e.y_max = std::max(e.y_max, *spec.reference * 1.2);
  if (!std::isfinite(e.x_min)) e.x_min = 0, e.x_max = 1;
  return e;
}

std::string fmt_num(double v) {
  return fmt::format("{:.1f}", v);
}

std::string y_axis(const ChartSpec& spec, const Extent& e, Scale& y, double top) {
  std::string out;
  std::vector<double> ticks;
  if (spec.log_y) {
    const double lo =
        std::floor(std::log10(std::isfinite(e.y_min_positive) ? e.y_min_positive : 1));
    const double hi = std::max(lo + 1, std::ceil(std::log10(std::max(e.y_max, 1e-9))));
    y.lo = lo, y.hi = hi, y.log = true;
    for (double p = lo; p <= hi + 1e-9; p += 1) ticks.push_back(std::pow(10.0, p));
  } else {
    ticks = nice_ticks(0, e.y_max > 0 ? e.y_max : 1, 5);
    y.lo = ticks.front(), y.hi = ticks.back();
  }
  const double x0 = kLeft, x1 = spec.width - kRight;
  for (double t : ticks) {
    const double py = y.map(t);
    out += fmt::format(R"(<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>)", fmt_num(x0),
                       fmt_num(py), fmt_num(x1), fmt_num(py));
    out += fmt::format(R"(<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>)",
                       fmt_num(x0 - 6), fmt_num(py + 4), tick_label(t));
  }
  out += fmt::format(
      R"svg(<text class="axis-label" transform="translate(14 {}) rotate(-90)" text-anchor="middle">{}</text>)svg",
      fmt_num((top + spec.height - kBottom) / 2), html_escape(spec.y_label));
  return out;
}

std::string x_axis(const ChartSpec& spec, const Extent& e, Scale& x) {
  const auto ticks = nice_ticks(e.x_min, e.x_max, 8);
  x.lo = ticks.front(), x.hi = ticks.back();
  const double py = spec.height - kBottom;
  std::string out =
      fmt::format(R"(<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>)", fmt_num(kLeft),
                  fmt_num(py), fmt_num(spec.width - kRight), fmt_num(py));
  for (double t : ticks) {
    out += fmt::format(R"(<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>)",
                       fmt_num(x.map(t)), fmt_num(py + 16), tick_label(t));
  }
  out += fmt::format(R"(<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>)",
                     fmt_num((kLeft + spec.width - kRight) / 2), fmt_num(spec.height - 6),
                     html_escape(spec.x_label));
  return out;
}

std::string series_svg(const ChartSeries& s, const Scale& x, const Scale& y) {
  std::string lines, dots, segment;
  std::size_t points = 0, in_segment = 0;
  auto close_segment = [&] {
    if (in_segment > 1) {
      lines += fmt::format(R"(<polyline points="{}" stroke="{}"{}/>)", segment, s.color,
                           s.dash.empty() ? "" : fmt::format(R"( stroke-dasharray="{}")", s.dash));
    }
    segment.clear();
    in_segment = 0;
  };
  for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    if (std::isnan(s.y[i])) {
      close_segment();
      continue;
    }
    const std::string px = fmt_num(x.map(s.x[i])), py = fmt_num(y.map(s.y[i]));
    segment += (segment.empty() ? "" : " ") + px + "," + py;
    ++in_segment;
    ++points;
    dots += fmt::format(
        R"(<circle cx="{}" cy="{}" r="2" fill="{}"><title>{} at {}: {}</title></circle>)", px, py,
        s.color, html_escape(s.name), tick_label(s.x[i]), tick_label(s.y[i]));
  }
  close_segment();
  return fmt::format(R"(<g class="series" data-series="{}" data-points="{}">{}{}</g>)",
                     html_escape(s.name), points, lines, dots);
}

// The legend, wrapped onto as many rows as it needs; rows is set to their number.
std::string legend(const ChartSpec& spec, int& rows) {
  std::string out;
  double x = kLeft;
  rows = 1;
  for (const auto& s : spec.series) {
    const double width = 36 + 6.5 * static_cast<double>(s.name.size());
    if (x > kLeft && x + width > spec.width - kRight) {
      x = kLeft;
      ++rows;
    }
    const double y = 38 + kLegendRow * (rows - 1);
    out += fmt::format(
        R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5"{}/><text class="legend" x="{}" y="{}">{}</text>)",
        fmt_num(x), fmt_num(y), fmt_num(x + 22), fmt_num(y), s.color,
        s.dash.empty() ? "" : fmt::format(R"( stroke-dasharray="{}")", s.dash), fmt_num(x + 27),
        fmt_num(y + 4), html_escape(s.name));
    x += width;
  }
  return out;
}

std::string reference_line(const ChartSpec& spec, const Scale& y) {
  if (!spec.reference) return "";
  const double py = y.map(*spec.reference);
  return fmt::format(
      R"(<line class="reference" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="reference-label" x="{}" y="{}" text-anchor="end">{}</text>)",
      fmt_num(kLeft), fmt_num(py), fmt_num(spec.width - kRight), fmt_num(py),
      fmt_num(spec.width - kRight - 4), fmt_num(py - 5), html_escape(spec.reference_label));
}

}  // namespace

std::string render_line_chart(const ChartSpec& spec) {
  const Extent e = extent_of(spec);
  int rows = 1;
  const std::string key = legend(spec, rows);
  const double top = kTop + kLegendRow * (rows - 1);
  Scale x{0, 1, kLeft, spec.width - kRight, false};
  Scale y{0, 1, spec.height - kBottom, top, false};
  std::string body = y_axis(spec, e, y, top) + x_axis(spec, e, x);
  for (const auto& s : spec.series) body += series_svg(s, x, y);
  body += reference_line(spec, y);  // last: drawn over the series it limits
  return fmt::format(
      R"(<svg class="chart" data-chart="{}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}"><text class="chart-title" x="{}" y="20">{}</text>{}{}</svg>)",
      html_escape(spec.id), spec.width, spec.height, html_escape(spec.title), fmt_num(kLeft),
      html_escape(spec.title), key, body);
}

std::vector<double> nice_ticks(double low, double high, int count) {
  if (!(high > low)) high = low + 1;
  const double raw = (high - low) / std::max(count, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  // The 1-2-5 step whose number of intervals comes closest to count.
  double step = magnitude;
  double best = INFINITY;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    const double miss = std::abs((high - low) / (m * magnitude) - count);
    if (miss < best) best = miss, step = m * magnitude;
  }
  std::vector<double> ticks;
  const double first = std::floor(low / step + 1e-9) * step;
  const double last = std::ceil(high / step - 1e-9) * step;
  const auto steps = static_cast<int>(std::llround((last - first) / step));
  for (int k = 0; k <= steps; ++k) {
    const double t = first + k * step;
    // Below 1, divide by the power of ten (exact) so that 3 x 0.2 is 0.6, not 0.6000000000000001.
    const double inverse = magnitude < 1 ? std::round(1 / magnitude) : 1;
    ticks.push_back(magnitude < 1 ? std::round(t * inverse) / inverse : t);
  }
  return ticks;
}

std::string tick_label(double value) {
  const double rounded = std::round(value);
  if (std::abs(value - rounded) < 1e-9 && std::abs(value) >= 1) {
    std::string digits = fmt::format("{:.0f}", std::abs(rounded));
    std::string out = value < 0 ? "-" : "";
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  }
  if (value == 0) return "0";
  if (std::abs(value) < 1) return fmt::format("{:.3g}", value);
  std::string text = fmt::format("{:.2f}", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace funnel::storm
