// Per-user admission limits: see user_limits.hpp.
#include "security/user_limits.hpp"

#include <algorithm>
#include <cmath>

namespace funnel::security {

std::int64_t CommandBucket::take(double share_per_s, std::int64_t now_ms) {
  const double capacity = std::max(1.0, share_per_s);
  if (!started_) {
    started_ = true;
    tokens_ = capacity;
    refilled_at_ = now_ms;
  } else if (now_ms > refilled_at_) {
    const double earned = static_cast<double>(now_ms - refilled_at_) * share_per_s / 1000.0;
    tokens_ = std::min(capacity, tokens_ + earned);
    refilled_at_ = now_ms;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  const auto wait = static_cast<std::int64_t>(std::ceil((1.0 - tokens_) * 1000.0 / share_per_s));
  return std::max<std::int64_t>(1, wait);
}

bool enter_user(UserCounters& counters, std::uint32_t max_connections) {
  const std::int64_t before = counters.connections.fetch_add(1, std::memory_order_relaxed);
  if (max_connections == 0 || before < static_cast<std::int64_t>(max_connections)) return true;
  counters.connections.fetch_sub(1, std::memory_order_relaxed);
  counters.refused_connections.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void leave_user(UserCounters& counters) {
  counters.connections.fetch_sub(1, std::memory_order_relaxed);
}

bool enter_pin(UserCounters& counters, std::uint32_t max_pinned) {
  const std::int64_t before = counters.pinned.fetch_add(1, std::memory_order_relaxed);
  if (max_pinned == 0 || before < static_cast<std::int64_t>(max_pinned)) return true;
  counters.pinned.fetch_sub(1, std::memory_order_relaxed);
  counters.refused_pins.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void leave_pin(UserCounters& counters) {
  counters.pinned.fetch_sub(1, std::memory_order_relaxed);
}

std::string user_connections_error(std::string_view user, std::uint32_t max_connections) {
  return "ERR max number of clients reached (funnel: user '" + std::string(user) + "' holds " +
         std::to_string(max_connections) +
         " connections, its max_connections; close some or raise the limit)";
}

std::string user_rate_error(std::string_view user, std::uint32_t max_commands_per_s,
                            std::int64_t retry_ms) {
  return "ERR funnel: user '" + std::string(user) + "' exceeded " +
         std::to_string(max_commands_per_s) + " commands per second; retry after " +
         std::to_string(retry_ms) + " ms";
}

std::string user_pinned_error(std::string_view user, std::uint32_t max_pinned) {
  return "ERR funnel: user '" + std::string(user) + "' has " + std::to_string(max_pinned) +
         " clients holding a pinned backend link (WATCH, MULTI, blocking commands, tracking, "
         "MONITOR), its max_pinned; retry once one ends or raise the limit";
}

}  // namespace funnel::security
