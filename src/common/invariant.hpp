// Invariant checks for the whole process. A broken invariant is a bug in Funnel: debug builds
// abort at once; release builds count it (exported as a metric) and report it once per site.
#pragma once

#include <atomic>
#include <cstdint>

namespace funnel::common {

// Called once per failing site in release builds; server installs a logger. Must be thread-safe.
using InvariantReporter = void (*)(const char* expr, const char* file, int line);
void set_invariant_reporter(InvariantReporter reporter);

// Total broken invariants since start (all threads).
std::uint64_t invariant_failures();

void invariant_failed(const char* expr, const char* file, int line, std::atomic<bool>& reported);

}  // namespace funnel::common

#ifdef NDEBUG
#define FUNNEL_INVARIANT(expr)                                                         \
  do {                                                                                 \
    if (!(expr)) [[unlikely]] {                                                        \
      static std::atomic<bool> funnel_reported_{false};                                \
      ::funnel::common::invariant_failed(#expr, __FILE__, __LINE__, funnel_reported_); \
    }                                                                                  \
  } while (false)
#else
#include <cassert>
#define FUNNEL_INVARIANT(expr) assert(expr)
#endif
