// Raises RLIMIT_NOFILE at start to what max_clients and the backend links need, or explains what
// to change: running out of descriptors under a connection storm is the failure Funnel exists
// to prevent.
#pragma once

#include <cstdint>
#include <string>

namespace funnel::server {

// Returns an empty string when the limit is (now) sufficient, otherwise the error to print.
std::string ensure_descriptor_limit(std::uint64_t needed, std::uint32_t max_clients);

}  // namespace funnel::server
