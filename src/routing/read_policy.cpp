// Read policy names as the config and the command line spell them.
#include "routing/read_policy.hpp"

#include <array>
#include <utility>

namespace funnel::routing {
namespace {
constexpr std::array<std::pair<std::string_view, ReadPolicy>, 5> kNames = {{
    {"primary", ReadPolicy::kPrimary},
    {"prefer-replica", ReadPolicy::kPreferReplica},
    {"replica", ReadPolicy::kReplica},
    {"any", ReadPolicy::kAny},
    {"prefer-local-zone", ReadPolicy::kPreferLocalZone},
}};
}  // namespace

std::optional<ReadPolicy> read_policy_from_name(std::string_view name) {
  for (const auto& [text, policy] : kNames) {
    if (text == name) return policy;
  }
  return std::nullopt;
}

std::string_view read_policy_name(ReadPolicy policy) {
  for (const auto& [text, value] : kNames) {
    if (value == policy) return text;
  }
  return "primary";
}

}  // namespace funnel::routing
