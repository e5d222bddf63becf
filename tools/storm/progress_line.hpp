// The live one-line progress display on stderr while a run goes on: elapsed time, invocations
// done, errors, concurrency and the backend's connections. Redrawn in place on a terminal; a
// plain line every few seconds otherwise (logs, CI).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace funnel::storm {

class ProgressLine {
 public:
  ProgressLine(std::string label, double duration_s, bool enabled);

  // Call often; it draws at most every 250 ms (terminal) or 2 s (not a terminal).
  void update(double elapsed_s, std::uint64_t done, std::uint64_t failed, int concurrency,
              std::optional<std::int64_t> backend_connections);
  // The last line, ended with a newline.
  void finish(double elapsed_s, std::uint64_t done, std::uint64_t failed,
              std::optional<std::int64_t> backend_connections);

  // The text of one progress line (no control characters), for tests.
  static std::string format(const std::string& label, double elapsed_s, double duration_s,
                            std::uint64_t done, std::uint64_t failed, int concurrency,
                            std::optional<std::int64_t> backend_connections);

 private:
  std::string label_;
  double duration_s_;
  bool enabled_;
  bool terminal_;
  double last_drawn_s_ = -1e9;
};

}  // namespace funnel::storm
