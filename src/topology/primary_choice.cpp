// choose_primary and confirm_sentinel_primary: see primary_choice.hpp.
#include "topology/primary_choice.hpp"

namespace funnel::topology {
namespace {
const PrimaryCandidate* by_id(std::span<const PrimaryCandidate> candidates,
                              std::optional<std::uint32_t> id) {
  if (!id) return nullptr;
  for (const auto& candidate : candidates) {
    if (candidate.node_id == *id) return &candidate;
  }
  return nullptr;
}

bool says_master(const PrimaryCandidate& candidate) {
  return candidate.reachable && candidate.role == routing::Role::kPrimary;
}

bool says_replica(const PrimaryCandidate& candidate) {
  return candidate.reachable && candidate.role != routing::Role::kPrimary &&
         candidate.role != routing::Role::kUnknown;
}

// Higher is better: replica count first, then current, then hint (first known wins the rest).
bool better(const PrimaryCandidate& a, const PrimaryCandidate& b,
            std::optional<std::uint32_t> current, std::optional<std::uint32_t> hint) {
  if (a.replicas != b.replicas) return a.replicas > b.replicas;
  if ((current == a.node_id) != (current == b.node_id)) return current == a.node_id;
  return hint == a.node_id && hint != b.node_id;
}
}  // namespace

std::optional<std::uint32_t> choose_primary(std::span<const PrimaryCandidate> candidates,
                                            std::optional<std::uint32_t> current,
                                            std::optional<std::uint32_t> hint) {
  const PrimaryCandidate* best = nullptr;
  for (const auto& candidate : candidates) {
    if (!says_master(candidate)) continue;
    if (best == nullptr || better(candidate, *best, current, hint)) best = &candidate;
  }
  if (best != nullptr) return best->node_id;
  for (auto fallback : {current, hint}) {
    const PrimaryCandidate* node = by_id(candidates, fallback);
    if (node != nullptr && !says_replica(*node)) return node->node_id;
  }
  return std::nullopt;
}

SentinelPrimary confirm_sentinel_primary(const PrimaryCandidate* named,
                                         const std::string& named_address,
                                         const std::string& sentinel_error) {
  SentinelPrimary result;
  if (named == nullptr) {
    result.error = sentinel_error.empty() ? "no sentinel named a primary" : sentinel_error;
  } else if (says_replica(*named)) {
    result.error = "sentinel names " + named_address +
                   " as primary but its ROLE says replica (failover in progress)";
  } else {
    result.primary = named->node_id;
  }
  return result;
}

}  // namespace funnel::topology
