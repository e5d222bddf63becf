// One health check of one node over its control link: PING, ROLE, INFO replication and INFO
// persistence, read into what routing::judge_replica needs. Runs on the monitor's io_context.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "backend/backend_snapshot.hpp"
#include "backend/control_link.hpp"
#include "routing/replica_health.hpp"
#include "routing/role_report.hpp"

namespace funnel::topology {

struct ProbeResult {
  bool reachable = false;
  std::string error;                        // why not reachable, or why ROLE was not understood
  std::optional<routing::RoleReport> role;  // nullopt when ROLE failed or was not understood
  routing::ReplicaInfo info;
  std::string redis_version;
  std::string zone;  // availability_zone as the node reports it (HELLO or INFO server); "" unknown
};

// Opens the link first when it is closed (connect + handshake, bounded by the link settings'
// connect timeout); every call is bounded by their request timeout. A node answering -LOADING
// is reachable and loading. An open link that the node closed is retried once on a new
// connection (Sentinel kills every normal client of a node it reconfigures).
boost::asio::awaitable<ProbeResult> probe_node(backend::ControlLink& link,
                                               const backend::BackendSnapshot& target);

// ROLE only (the offset poller and the quick check of a node Sentinel just promoted).
boost::asio::awaitable<std::optional<routing::RoleReport>> query_role(backend::ControlLink& link,
                                                                      std::string& error);

}  // namespace funnel::topology
