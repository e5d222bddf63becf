// Slows down password guessing: failed AUTH attempts are counted per client IP address, and
// past a few free failures each one costs the client a growing pause before Funnel reads its
// next command. Process-wide and thread-safe (a mutex, taken only when AUTH fails).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace funnel::security {

struct ThrottleSettings {
  std::uint32_t free_failures = 3;         // failures per address before any pause
  std::uint32_t first_delay_ms = 100;      // the pause after the first failure past those
  std::uint32_t max_delay_ms = 2000;       // doubling, up to this
  std::uint32_t forget_after_ms = 60'000;  // an address quiet this long starts afresh
  std::size_t max_addresses = 10'000;      // bounded memory under a spray of addresses
};

class AuthThrottle {
 public:
  explicit AuthThrottle(ThrottleSettings settings = {}) : settings_(settings) {}
  // Records a failed AUTH from `address` at `now_ms`; returns the pause in milliseconds (0 for
  // none) before the client's next command may be read.
  std::uint32_t on_failure(std::string_view address, std::int64_t now_ms);
  std::size_t tracked() const;

 private:
  struct Entry {
    std::uint32_t failures = 0;
    std::int64_t last_ms = 0;
  };
  void forget_old(std::int64_t now_ms);

  ThrottleSettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace funnel::security
