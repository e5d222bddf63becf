// The Prometheus text format's pieces, shared by the renderers of exposition.cpp and its
// companions (stateful_metrics.cpp, topology_metrics.cpp).
#pragma once

#include <string>
#include <string_view>

namespace funnel::metrics {

// Label values must escape backslash, double quote and newline.
std::string escape(std::string_view value);
void header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
void sample(std::string& out, std::string_view name, std::string_view labels, double value);

}  // namespace funnel::metrics
