// Machine-wide CPU use (see machine_cpu.hpp).
#include "storm/machine_cpu.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace funnel::storm {

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
  if (!text.starts_with("cpu ")) return std::nullopt;
  std::string_view line = text.substr(4, text.find('\n') - 4);
  CpuTimes times;
  int field = 0;
  while (!line.empty()) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (ec != std::errc()) return std::nullopt;
    line.remove_prefix(static_cast<std::size_t>(ptr - line.data()));
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    if (field < 8) {
      times.total += value;
      if (field != 3 && field != 4) times.busy += value;
    }
    ++field;
  }
  if (field < 4) return std::nullopt;
  return times;
}

std::optional<CpuTimes> read_machine_cpu() {
  std::ifstream in("/proc/stat");
  std::stringstream text;
  text << in.rdbuf();
  return parse_proc_stat(text.str());
}

double busy_cores(const CpuTimes& before, const CpuTimes& after, int cores) {
  if (after.total <= before.total) return 0;
  return static_cast<double>(after.busy - before.busy) /
         static_cast<double>(after.total - before.total) * cores;
}

}  // namespace funnel::storm
