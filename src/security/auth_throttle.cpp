// AuthThrottle: per-address failure counts, growing holds, and the bounds on held failures.
#include "security/auth_throttle.hpp"

#include <algorithm>
#include <cstdio>

namespace funnel::security {

// Drops quiet addresses; if the table is still full, drops every address with nothing held
// (an attacker spraying addresses gains a few free failures per address, never unbounded
// memory). Entries with a failure held stay: end_hold() must find them.
void AuthThrottle::make_room(std::int64_t now_ms) {
  std::erase_if(entries_, [&](const auto& item) {
    return item.second.held == 0 && item.second.checking == 0 &&
           now_ms - item.second.last_ms >= settings_.forget_after_ms;
  });
  if (entries_.size() < settings_.max_addresses) return;
  std::erase_if(entries_, [](const auto& item) {
    return item.second.held == 0 && item.second.checking == 0;
  });
}

std::uint32_t AuthThrottle::delay_for(std::uint32_t failures) const {
  const std::uint32_t doublings =
      std::min<std::uint32_t>(failures - settings_.free_failures - 1, 16);
  const std::uint64_t delay = std::uint64_t{settings_.first_delay_ms} << doublings;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(delay, settings_.max_delay_ms));
}

AuthDecision AuthThrottle::on_failure(std::string_view address, std::int64_t now_ms,
                                      bool connection_was_held) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= settings_.max_addresses) make_room(now_ms);
  Entry& entry = entries_[std::string(address)];
  if (now_ms - entry.last_ms >= settings_.forget_after_ms && entry.held == 0) entry.failures = 0;
  entry.last_ms = now_ms;
  if (entry.failures < UINT32_MAX) ++entry.failures;
  if (entry.failures <= settings_.free_failures) return {AuthVerdict::kAnswer, 0};
  // Past the free failures a guess costs time (its answer is held), a connection gets one such
  // answer, and the holds are bounded: beyond them, the connection is closed unanswered.
  if (connection_was_held || entry.held >= settings_.max_held_per_address ||
      held_total_ >= settings_.max_held_total) {
    return {AuthVerdict::kClose, 0};
  }
  ++entry.held;
  ++held_total_;
  return {AuthVerdict::kHold, delay_for(entry.failures)};
}

void AuthThrottle::end_hold(std::string_view address) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(std::string(address));
  if (it == entries_.end() || it->second.held == 0) return;  // a bug elsewhere; never underflow
  --it->second.held;
  --held_total_;
}

bool AuthThrottle::begin_check(std::string_view address, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= settings_.max_addresses) make_room(now_ms);
  Entry& entry = entries_[std::string(address)];
  if (now_ms - entry.last_ms >= settings_.forget_after_ms && entry.held == 0 &&
      entry.checking == 0) {
    entry.failures = 0;
  }
  const std::uint64_t may_fail = std::uint64_t{settings_.free_failures} > entry.failures
                                     ? settings_.free_failures - entry.failures
                                     : 0;
  const std::uint64_t may_hold =
      settings_.max_held_per_address > entry.held ? settings_.max_held_per_address - entry.held : 0;
  const bool total_full =
      std::uint64_t{held_total_} + checking_total_ >= settings_.max_held_total + may_fail;
  if (entry.checking >= may_fail + may_hold || total_full) return false;
  ++entry.checking;
  ++checking_total_;
  return true;
}

void AuthThrottle::end_check(std::string_view address) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(std::string(address));
  if (it == entries_.end() || it->second.checking == 0) return;  // never underflow
  --it->second.checking;
  --checking_total_;
}

std::size_t AuthThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::uint32_t AuthThrottle::held() const {
  std::lock_guard lock(mutex_);
  return held_total_;
}

std::string throttle_key(const unsigned char* bytes, std::size_t size) {
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (size == 16 && std::equal(kMapped, kMapped + 12, bytes)) {
    bytes += 12;
    size = 4;
  }
  char text[48];
  if (size == 4) {
    std::snprintf(text, sizeof text, "%u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
    return text;
  }
  if (size != 16) return "?";
  std::snprintf(text, sizeof text, "%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", bytes[0], bytes[1],
                bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
  return text;
}

}  // namespace funnel::security
