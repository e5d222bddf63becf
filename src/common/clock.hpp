// Coarse monotonic time for deadlines and idle checks: CLOCK_MONOTONIC_COARSE is read from the
// vDSO without a syscall; its few-millisecond resolution is plenty for timeouts.
#pragma once

#include <cstdint>
#include <ctime>

namespace funnel::common {

using Millis = std::int64_t;

inline Millis coarse_now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<Millis>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Precise monotonic time in nanoseconds, for latency measurement.
inline std::int64_t precise_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace funnel::common
