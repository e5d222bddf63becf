// Reads the numbers funnel-storm samples out of an INFO reply's text: the backend's
// connected_clients, total_connections_received, rejected_connections and, through Funnel, the
// `# Funnel` section's funnel_* counters; INFO commandstats calls; Funnel's /metrics samples. No
// I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace funnel::storm {

// The integer after "name:" on its own line of an INFO text, or nullopt if absent or not a number.
std::optional<std::int64_t> info_field(std::string_view info, std::string_view name);

// The calls of command in an INFO commandstats text ("cmdstat_get:calls=12,usec=..." -> 12 for
// "get"); 0 when the command has no line yet (Redis lists only commands called since the reset).
std::int64_t commandstat_calls(std::string_view info, std::string_view command);

// The sum of every sample of metric `name` (any labels) in a Prometheus text exposition, or
// nullopt when the metric has no sample.
std::optional<double> prometheus_sum(std::string_view text, std::string_view name);

}  // namespace funnel::storm
