// The live progress line (see progress_line.hpp).
#include "storm/progress_line.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace funnel::storm {

ProgressLine::ProgressLine(std::string label, double duration_s, bool enabled)
    : label_(std::move(label)),
      duration_s_(duration_s),
      enabled_(enabled),
      terminal_(::isatty(STDERR_FILENO) == 1) {}

std::string ProgressLine::format(const std::string& label, double elapsed_s, double duration_s,
                                 std::uint64_t done, std::uint64_t failed, int concurrency,
                                 std::optional<std::int64_t> backend_connections) {
  return fmt::format(
      "[{}] {:5.1f}/{:.0f}s  invocations {}  failed {}  concurrency {}  backend "
      "connections {}",
      label, elapsed_s, duration_s, done, failed, concurrency,
      backend_connections ? std::to_string(*backend_connections) : "?");
}

void ProgressLine::update(double elapsed_s, std::uint64_t done, std::uint64_t failed,
                          int concurrency, std::optional<std::int64_t> backend_connections) {
  if (!enabled_) return;
  const double period = terminal_ ? 0.25 : 2.0;
  if (elapsed_s - last_drawn_s_ < period) return;
  last_drawn_s_ = elapsed_s;
  const std::string line =
      format(label_, elapsed_s, duration_s_, done, failed, concurrency, backend_connections);
  if (terminal_) {
    std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

void ProgressLine::finish(double elapsed_s, std::uint64_t done, std::uint64_t failed,
                          std::optional<std::int64_t> backend_connections) {
  if (!enabled_) return;
  const std::string line =
      format(label_, elapsed_s, duration_s_, done, failed, 0, backend_connections) + "  done";
  std::fprintf(stderr, terminal_ ? "\r%s\x1b[K\n" : "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace funnel::storm
