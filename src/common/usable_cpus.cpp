#include "common/usable_cpus.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace funnel::common {
namespace {

std::optional<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<long long> to_integer(std::string_view text) {
  text = trim(text);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

unsigned affinity_count() {
  // Sized for hosts with more cores than a default cpu_set_t holds.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t slots = std::max<std::size_t>(cores, CPU_SETSIZE);
  cpu_set_t* set = CPU_ALLOC(slots);
  if (set == nullptr) return cores;
  const std::size_t size = CPU_ALLOC_SIZE(slots);
  CPU_ZERO_S(size, set);
  unsigned count = cores;
  if (::sched_getaffinity(0, size, set) == 0) count = static_cast<unsigned>(CPU_COUNT_S(size, set));
  CPU_FREE(set);
  return std::max(1u, count);
}

// The cgroup directory `relative` (as /proc/self/cgroup names it) and each ancestor up to the
// mount point: a limit on any of them applies to this process.
std::vector<std::filesystem::path> cgroup_and_ancestors(const std::filesystem::path& mount,
                                                        std::string_view relative) {
  std::vector<std::filesystem::path> dirs;
  std::filesystem::path current = std::filesystem::path(std::string(relative)).relative_path();
  while (true) {
    dirs.push_back(mount / current);
    if (current.empty()) break;
    current = current.parent_path();
  }
  return dirs;
}

void keep_tightest(std::optional<double>& tightest, std::optional<double> quota) {
  if (quota && (!tightest || *quota < *tightest)) tightest = quota;
}

bool names_cpu_controller(std::string_view controllers) {
  while (!controllers.empty()) {
    const auto comma = controllers.find(',');
    if (controllers.substr(0, comma) == "cpu") return true;
    if (comma == std::string_view::npos) break;
    controllers.remove_prefix(comma + 1);
  }
  return false;
}

// cgroup v2: one unified hierarchy mounted at `root`; `cpu.max` in the cgroup or an ancestor.
std::optional<double> cgroup2_quota(const std::filesystem::path& root, std::string_view relative) {
  std::optional<double> tightest;
  for (const auto& dir : cgroup_and_ancestors(root, relative)) {
    if (auto text = read_text(dir / "cpu.max"))
      keep_tightest(tightest, parse_cgroup2_cpu_max(*text));
  }
  return tightest;
}

// cgroup v1: the cpu controller's own hierarchy, mounted under one of its usual names.
std::optional<double> cgroup1_quota(const std::filesystem::path& root, std::string_view relative) {
  std::optional<double> tightest;
  for (const char* mount : {"cpu,cpuacct", "cpu", "cpuacct,cpu"}) {
    for (const auto& dir : cgroup_and_ancestors(root / mount, relative)) {
      const auto quota = read_text(dir / "cpu.cfs_quota_us");
      const auto period = read_text(dir / "cpu.cfs_period_us");
      if (quota && period) keep_tightest(tightest, parse_cgroup1_quota(*quota, *period));
    }
  }
  return tightest;
}

}  // namespace

unsigned CpuBudget::usable() const {
  unsigned count = std::max(1u, affinity);
  if (quota) {
    const double whole = std::floor(*quota + 1e-9);
    count = std::min(count, static_cast<unsigned>(std::max(1.0, whole)));
  }
  return count;
}

std::string CpuBudget::describe() const {
  std::string text = fmt::format("affinity mask {} of {} cores", affinity, cores);
  text += quota ? fmt::format(", cgroup CPU quota {:.3g}", *quota) : ", no cgroup CPU quota";
  return text;
}

std::optional<double> parse_cgroup2_cpu_max(std::string_view text) {
  text = trim(text);
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota = text.substr(0, space);
  if (quota == "max") return std::nullopt;
  const auto q = to_integer(quota);
  const auto period = to_integer(text.substr(space + 1));
  if (!q || !period || *q <= 0 || *period <= 0) return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*period);
}

std::optional<double> parse_cgroup1_quota(std::string_view quota_us, std::string_view period_us) {
  const auto q = to_integer(quota_us);
  const auto period = to_integer(period_us);
  if (!q || !period || *q <= 0 || *period <= 0) return std::nullopt;  // -1: no limit
  return static_cast<double>(*q) / static_cast<double>(*period);
}

std::optional<double> cgroup_cpu_quota(const std::filesystem::path& root,
                                       std::string_view proc_self_cgroup) {
  std::optional<double> tightest;
  std::istringstream lines{std::string(proc_self_cgroup)};
  std::string line;
  while (std::getline(lines, line)) {
    // hierarchy-ID:controller-list:cgroup-path
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string_view text(line);
    const std::string_view controllers = text.substr(first + 1, second - first - 1);
    const std::string_view relative = text.substr(second + 1);
    if (text.substr(0, first) == "0" && controllers.empty()) {
      keep_tightest(tightest, cgroup2_quota(root, relative));
    } else if (names_cpu_controller(controllers)) {
      keep_tightest(tightest, cgroup1_quota(root, relative));
    }
  }
  return tightest;
}

CpuBudget read_cpu_budget(const std::filesystem::path& cgroup_root,
                          const std::filesystem::path& proc_self_cgroup) {
  CpuBudget budget;
  budget.cores = std::max(1u, std::thread::hardware_concurrency());
  budget.affinity = affinity_count();
  if (auto text = read_text(proc_self_cgroup)) budget.quota = cgroup_cpu_quota(cgroup_root, *text);
  return budget;
}

}  // namespace funnel::common
