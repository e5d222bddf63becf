// Counting and one-time reporting of broken invariants in release builds.
#include "common/invariant.hpp"

namespace funnel::common {
namespace {
std::atomic<std::uint64_t> g_failures{0};
std::atomic<InvariantReporter> g_reporter{nullptr};
}  // namespace

void set_invariant_reporter(InvariantReporter reporter) {
  g_reporter.store(reporter);
}

std::uint64_t invariant_failures() {
  return g_failures.load(std::memory_order_relaxed);
}

void invariant_failed(const char* expr, const char* file, int line, std::atomic<bool>& reported) {
  g_failures.fetch_add(1, std::memory_order_relaxed);
  if (reported.exchange(true)) return;
  if (auto* reporter = g_reporter.load()) reporter(expr, file, line);
}

}  // namespace funnel::common
