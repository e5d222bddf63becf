// Where read-only commands may go (config `topology.read_policy`, flag --read-policy). Writes and
// anything not known to be read-only always go to the primary.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace funnel::routing {

enum class ReadPolicy : std::uint8_t {
  kPrimary,        // default: everything on the primary
  kPreferReplica,  // healthy replicas; the primary when none is healthy
  kReplica,        // healthy replicas only; a clear error when none is healthy
  kAny,            // the primary and healthy replicas together
  // Healthy replicas in Funnel's own availability zone, then other healthy replicas, then the
  // primary (issue #19: a cross-zone read costs latency and transfer charges).
  kPreferLocalZone,
};

std::optional<ReadPolicy> read_policy_from_name(std::string_view name);
std::string_view read_policy_name(ReadPolicy policy);

}  // namespace funnel::routing
