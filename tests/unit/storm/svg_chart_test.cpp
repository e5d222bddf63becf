// Chart helpers: round ticks, labels, escaping, and what a chart draws.
#include "storm/svg_chart.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace funnel::storm {
namespace {

TEST(SvgChart, NiceTicks) {
  EXPECT_EQ(nice_ticks(0, 287, 5), (std::vector<double>{0, 50, 100, 150, 200, 250, 300}));
  EXPECT_EQ(nice_ticks(0, 1, 5), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1}));
  EXPECT_EQ(nice_ticks(0, 30, 8), (std::vector<double>{0, 5, 10, 15, 20, 25, 30}));
  const auto flat = nice_ticks(4, 4, 5);  // a constant series still gets an axis
  EXPECT_LE(flat.front(), 4);
  EXPECT_GT(flat.back(), 4);
}

TEST(SvgChart, TickLabels) {
  EXPECT_EQ(tick_label(0), "0");
  EXPECT_EQ(tick_label(1500), "1,500");
  EXPECT_EQ(tick_label(18000), "18,000");
  EXPECT_EQ(tick_label(2.5), "2.5");
  EXPECT_EQ(tick_label(0.1), "0.1");
  EXPECT_EQ(tick_label(0.001), "0.001");
}

TEST(SvgChart, Escapes) {
  EXPECT_EQ(html_escape(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(SvgChart, DrawsEveryPointAndBreaksLinesAtGaps) {
  ChartSpec spec;
  spec.id = "demo";
  spec.title = "Demo <chart>";
  spec.series.push_back({"direct", "#e8590c", {0, 1, 2, 3}, {1, NAN, 3, 4}, ""});
  spec.series.push_back({"through Funnel", "#1971c2", {0, 1, 2, 3}, {2, 2, 2, 2}, "4 2"});
  spec.reference = 5;
  spec.reference_label = "maxclients 5";
  const std::string svg = render_line_chart(spec);
  EXPECT_NE(svg.find(R"(data-chart="demo")"), std::string::npos);
  EXPECT_NE(svg.find(R"(data-series="direct" data-points="3")"), std::string::npos);
  EXPECT_NE(svg.find(R"(data-series="through Funnel" data-points="4")"), std::string::npos);
  EXPECT_NE(svg.find("Demo &lt;chart&gt;"), std::string::npos);
  EXPECT_NE(svg.find("maxclients 5"), std::string::npos);
  EXPECT_NE(svg.find(R"(stroke-dasharray="4 2")"), std::string::npos);
  // direct: the gap splits it; its one-point segment gets a dot but no line.
  std::size_t polylines = 0;
  for (auto pos = svg.find("<polyline"); pos != std::string::npos;
       pos = svg.find("<polyline", pos + 1)) {
    ++polylines;
  }
  EXPECT_EQ(polylines, 2u);
  std::size_t circles = 0;
  for (auto pos = svg.find("<circle"); pos != std::string::npos;
       pos = svg.find("<circle", pos + 1)) {
    ++circles;
  }
  EXPECT_EQ(circles, 7u);
}

TEST(SvgChart, LogAxisCoversTheRange) {
  ChartSpec spec;
  spec.log_y = true;
  spec.series.push_back({"p99", "#000", {0, 1}, {0.2, 1800}, ""});
  const std::string svg = render_line_chart(spec);
  EXPECT_NE(svg.find(">0.1<"), std::string::npos);
  EXPECT_NE(svg.find(">10,000<"), std::string::npos);
}

}  // namespace
}  // namespace funnel::storm
