// Which node is the primary, from what each node's ROLE said. No I/O.
//
// static / discover: ROLE decides. Of the reachable nodes that say master, the one with the most
// replicas wins (during a failover the old primary may still say master with no replicas for a
// few seconds while the new one already has them); ties keep the current primary, then the
// configured hint, then the first known. With no reachable master, the current primary (or the
// hint) stays primary unless it answers and says it is a replica: a primary that stops answering
// is still the only place writes may go, and reporting "no primary" for a network blip would
// only turn write errors into different write errors.
//
// sentinel: Sentinel names the primary; its ROLE must confirm. A node Sentinel names whose ROLE
// says slave is not primary yet (a failover in progress, or a sentinel with an old view), so
// there is NO primary until it says master: writes get a clear error for that moment instead of
// going to a node that refuses them or (the old primary) will throw them away when demoted. A
// named node that does not answer stays primary (Sentinel will move it if it is really down).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "routing/role_report.hpp"

namespace funnel::topology {

struct PrimaryCandidate {
  std::uint32_t node_id = 0;
  bool reachable = false;
  routing::Role role = routing::Role::kUnknown;
  std::size_t replicas = 0;  // replicas the node's ROLE lists (primaries only)
};

std::optional<std::uint32_t> choose_primary(std::span<const PrimaryCandidate> candidates,
                                            std::optional<std::uint32_t> current,
                                            std::optional<std::uint32_t> hint);

struct SentinelPrimary {
  std::optional<std::uint32_t> primary;
  std::string error;  // why there is none
};

// `named` is the candidate Sentinel names (nullopt when no sentinel answered or the name is
// unknown to them; `sentinel_error` then says why).
SentinelPrimary confirm_sentinel_primary(const PrimaryCandidate* named,
                                         const std::string& named_address,
                                         const std::string& sentinel_error);

}  // namespace funnel::topology
