// RLIMIT_NOFILE handling (see fd_limit.hpp).
#include "server/fd_limit.hpp"

#include <sys/resource.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace funnel::server {

std::string ensure_descriptor_limit(std::uint64_t needed, std::uint32_t max_clients) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  if (limit.rlim_cur >= needed) return {};
  rlimit raised = limit;
  raised.rlim_cur = needed;
  if (raised.rlim_max < needed) raised.rlim_max = needed;  // allowed for root only
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    spdlog::info("raised the open-file limit from {} to {}", limit.rlim_cur, needed);
    return {};
  }
  if (limit.rlim_max >= needed) {
    raised.rlim_max = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return {};
  }
  return fmt::format(
      "server.max_clients = {} needs about {} open files, but this process may open at most {} "
      "(RLIMIT_NOFILE hard limit): raise the limit (ulimit -n, or LimitNOFILE= in the systemd "
      "unit) or lower server.max_clients",
      max_clients, needed, limit.rlim_max);
}

}  // namespace funnel::server
