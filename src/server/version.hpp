// Funnel's own version, shown in logs, INFO and --version.
#pragma once

namespace funnel::server {
inline constexpr const char* kFunnelVersion = "0.1.0";
}  // namespace funnel::server
