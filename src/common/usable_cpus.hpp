// How many CPUs this process may really use: the cores in its affinity mask (taskset, cpusets,
// Kubernetes' static CPU manager), capped by a CFS quota on its cgroup (docker --cpus, ECS and
// Kubernetes CPU limits). std::thread::hardware_concurrency() counts the host's cores, so a
// container limited to one CPU on a 64-core host would start 64 workers, each with its own
// backend links, all fighting over that one CPU. `workers = 0` means one worker per usable CPU.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace funnel::common {

struct CpuBudget {
  unsigned cores = 1;           // online cores (hardware_concurrency)
  unsigned affinity = 1;        // cores in this process's affinity mask
  std::optional<double> quota;  // CPUs the cgroup quota allows (quota / period), if any
  // What a default-sized thread pool should use: the affinity count, lowered to the quota
  // rounded down, never below 1. Down, because threads that together outrun the quota get the
  // whole cgroup throttled until the next period (a latency stall of tens of milliseconds),
  // which costs a proxy more than the unused fraction of a CPU.
  unsigned usable() const;
  // For the startup log, e.g. "affinity mask 2 of 8 cores, cgroup CPU quota 1.5".
  std::string describe() const;
};

// The budget of the calling process, read from sched_getaffinity, /proc/self/cgroup and the
// cgroup file system under `cgroup_root` (normally /sys/fs/cgroup). Unreadable sources count as
// "no limit".
CpuBudget read_cpu_budget(const std::filesystem::path& cgroup_root = "/sys/fs/cgroup",
                          const std::filesystem::path& proc_self_cgroup = "/proc/self/cgroup");

// The pieces, for tests.
// cgroup v2 `cpu.max` ("max 100000" or "150000 100000"): CPUs allowed, none when unlimited.
std::optional<double> parse_cgroup2_cpu_max(std::string_view text);
// cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` (quota -1 means unlimited).
std::optional<double> parse_cgroup1_quota(std::string_view quota_us, std::string_view period_us);
// The tightest quota on the cgroup of this process and on each of its ancestors, found from the
// text of /proc/self/cgroup ("0::/path" for v2, "N:cpu,cpuacct:/path" for v1) under `root`.
std::optional<double> cgroup_cpu_quota(const std::filesystem::path& root,
                                       std::string_view proc_self_cgroup);

}  // namespace funnel::common
