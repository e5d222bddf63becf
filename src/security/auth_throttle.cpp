// AuthThrottle: per-address failure counts with exponential, capped pauses.
#include "security/auth_throttle.hpp"

#include <algorithm>

namespace funnel::security {

void AuthThrottle::forget_old(std::int64_t now_ms) {
  std::erase_if(entries_, [&](const auto& item) {
    return now_ms - item.second.last_ms >= settings_.forget_after_ms;
  });
}

std::uint32_t AuthThrottle::on_failure(std::string_view address, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= settings_.max_addresses) forget_old(now_ms);
  // Still full: start over rather than grow; an attacker spraying addresses gains a few free
  // attempts per address, never unbounded memory.
  if (entries_.size() >= settings_.max_addresses) entries_.clear();
  Entry& entry = entries_[std::string(address)];
  if (now_ms - entry.last_ms >= settings_.forget_after_ms) entry.failures = 0;
  entry.last_ms = now_ms;
  ++entry.failures;
  if (entry.failures <= settings_.free_failures) return 0;
  const std::uint32_t doublings =
      std::min<std::uint32_t>(entry.failures - settings_.free_failures - 1, 16);
  const std::uint64_t delay = std::uint64_t{settings_.first_delay_ms} << doublings;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(delay, settings_.max_delay_ms));
}

std::size_t AuthThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace funnel::security
