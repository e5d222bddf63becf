// The whole machine's CPU use from /proc/stat, so the probe can tell a saturated machine (where
// funnel-storm competes with the target for cores) from a saturated target.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace funnel::storm {

struct CpuTimes {
  std::uint64_t busy = 0;   // jiffies not idle or waiting for I/O
  std::uint64_t total = 0;  // all jiffies
};

// Parses the aggregate "cpu ..." line of /proc/stat text.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);
// Reads /proc/stat now; nullopt where it is unavailable.
std::optional<CpuTimes> read_machine_cpu();
// Busy cores between two readings (busy share of the elapsed jiffies times cores).
double busy_cores(const CpuTimes& before, const CpuTimes& after, int cores);

}  // namespace funnel::storm
