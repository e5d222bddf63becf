// judge_replica() and the INFO fields behind it (see replica_health.hpp).
#include "routing/replica_health.hpp"

#include <charconv>

namespace funnel::routing {
namespace {

std::int64_t to_int(std::string_view text, std::int64_t fallback) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() ? value : fallback;
}

}  // namespace

ReplicaInfo parse_replica_info(std::string_view text) {
  ReplicaInfo info;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (key == "loading" || key == "async_loading") {
      info.loading = info.loading || value == "1";
    } else if (key == "master_sync_in_progress") {
      info.sync_in_progress = value == "1";
    } else if (key == "master_last_io_seconds_ago") {
      info.last_io_seconds_ago = to_int(value, -1);
    } else if (key == "master_link_status") {
      info.link_up = value == "up";
    } else if (key == "master_replid") {
      info.replid = std::string(value);
    } else if (key == "availability_zone") {
      info.zone = std::string(value);
    }
  }
  return info;
}

ReplicaVerdict judge_replica(const RoleReport& role, const ReplicaInfo& info,
                             std::int64_t primary_offset, const LagLimits& limits) {
  ReplicaVerdict verdict;
  if (role.role != Role::kReplica) {
    verdict.reason = "not a replica";
    return verdict;
  }
  verdict.lag_bytes = primary_offset >= 0 && role.offset >= 0 && primary_offset > role.offset
                          ? primary_offset - role.offset
                          : 0;
  if (!role.link_up() || !info.link_up) {
    verdict.reason = "link to primary down";
  } else if (info.loading) {
    verdict.reason = "loading";
  } else if (info.sync_in_progress) {
    verdict.reason = "syncing";
  } else if (role.offset < 0) {
    verdict.reason = "no replication offset yet";
  } else if (limits.max_bytes > 0 && verdict.lag_bytes > limits.max_bytes) {
    verdict.reason = "lag " + std::to_string(verdict.lag_bytes) + " bytes over max_replica_lag";
  } else if (limits.max_seconds > 0 &&
             (info.last_io_seconds_ago < 0 || info.last_io_seconds_ago > limits.max_seconds)) {
    verdict.reason = "no contact with primary for " + std::to_string(info.last_io_seconds_ago) +
                     " s, over max_replica_lag";
  } else {
    verdict.readable = true;
  }
  return verdict;
}

}  // namespace funnel::routing
