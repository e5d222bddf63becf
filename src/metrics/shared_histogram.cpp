// SharedHistogram (shared_histogram.hpp).
#include "metrics/shared_histogram.hpp"

#include <iterator>

#include <fmt/format.h>

#include "metrics/text_format.hpp"

namespace funnel::metrics {

void SharedHistogram::render(std::string& out, std::string_view name, std::string_view help) const {
  header(out, name, "histogram", help);
  const auto& bounds = Histogram::upper_bounds_ns();
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < Histogram::kBuckets; ++b) {
    cumulative += counts_[b].load(std::memory_order_relaxed);
    const std::string le = b < bounds.size() ? fmt::format("{}", bounds[b] / 1e9) : "+Inf";
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, le, cumulative);
  }
  fmt::format_to(std::back_inserter(out), "{}_sum {}\n{}_count {}\n", name,
                 static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9, name,
                 cumulative);
}

std::uint64_t SharedHistogram::count() const {
  std::uint64_t n = 0;
  for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
  return n;
}

}  // namespace funnel::metrics
