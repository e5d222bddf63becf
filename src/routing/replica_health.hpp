// Whether a replica may serve reads, from what the health checker learnt (ROLE and INFO
// replication / persistence) and the primary's offset. No I/O.
//
// A replica leaves the read set when its link to the primary is down, when it is loading its
// dataset, or when it lags beyond max_replica_lag: in bytes of replication offset behind the
// primary, or in seconds since its last contact with the primary (master_last_io_seconds_ago).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "routing/role_report.hpp"

namespace funnel::routing {

// The INFO fields the verdict needs (sections replication and persistence).
struct ReplicaInfo {
  bool loading = false;                   // loading:1 or async_loading:1
  bool sync_in_progress = false;          // master_sync_in_progress:1
  std::int64_t last_io_seconds_ago = -1;  // master_last_io_seconds_ago (-1: never)
  bool link_up = false;                   // master_link_status:up
  // master_replid: a primary's replication id, and on a replica the id of the history it
  // follows (its primary's once in sync). Equal ids say "same data", however each node was
  // addressed (NAT, relays, announced IPs).
  std::string replid;
  // availability_zone (INFO server: Valkey 8.0+ with availability-zone set, MemoryDB); empty
  // when the node does not say.
  std::string zone;
};

// Reads the fields above from an INFO reply's text ("key:value" lines). Unknown lines are
// ignored; missing fields keep their defaults (which fail safe: link down, never in contact).
ReplicaInfo parse_replica_info(std::string_view info_text);

struct LagLimits {
  std::int64_t max_bytes = 0;    // 0: no limit on offset lag
  std::int64_t max_seconds = 0;  // 0: no limit on seconds since last contact
};

struct ReplicaVerdict {
  bool readable = false;
  std::string reason;  // why not (for logs, /backends and metrics labels); empty when readable
  std::int64_t lag_bytes = 0;
};

ReplicaVerdict judge_replica(const RoleReport& role, const ReplicaInfo& info,
                             std::int64_t primary_offset, const LagLimits& limits);

}  // namespace funnel::routing
