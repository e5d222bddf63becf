// Reads the numbers funnel-storm samples out of an INFO reply's text: the backend's
// connected_clients, total_connections_received, rejected_connections and, through Funnel, the
// `# Funnel` section's funnel_* counters. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace funnel::storm {

// The integer after "name:" on its own line of an INFO text, or nullopt if absent or not a number.
std::optional<std::int64_t> info_field(std::string_view info, std::string_view name);

}  // namespace funnel::storm
