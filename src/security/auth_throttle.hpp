// Slows down password guessing: failed AUTH attempts are counted per client address
// (process-wide, whatever the connection), and past a few free failures each one is answered
// late: the session holds its -WRONGPASS for a growing delay. A connection that fails again
// after a held failure is closed. Held failures are bounded per address and in total; past
// either bound the failing connection is closed at once, so throttled sessions never fill
// max_clients. A successful AUTH never comes
// here: it is never delayed or refused. No I/O; the clock is passed in. Thread-safe (a mutex,
// taken only when AUTH fails and when a held failure ends).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace funnel::security {

struct ThrottleSettings {
  std::uint32_t free_failures = 3;          // failures per address answered at once
  std::uint32_t first_delay_ms = 100;       // the hold for the first failure past those
  std::uint32_t max_delay_ms = 2000;        // doubling, up to this
  std::uint32_t max_held_per_address = 16;  // failures held at once for one address
  std::uint32_t max_held_total = 1024;      // and for all addresses together
  std::uint32_t forget_after_ms = 60'000;   // an address quiet this long starts afresh
  std::size_t max_addresses = 10'000;       // bounded memory under a spray of addresses
};

// What the session does with one failed AUTH.
enum class AuthVerdict : std::uint8_t {
  kAnswer,  // within the free failures: -WRONGPASS at once, the connection stays
  kHold,    // hold -WRONGPASS for delay_ms; end_hold() when the hold is over
  kClose,   // failing again after a hold, or over a bound: close at once, unanswered
};

struct AuthDecision {
  AuthVerdict verdict = AuthVerdict::kAnswer;
  std::uint32_t delay_ms = 0;  // kHold only
  bool operator==(const AuthDecision&) const = default;
};

class AuthThrottle {
 public:
  explicit AuthThrottle(ThrottleSettings settings = {}) : settings_(settings) {}
  // Records a failed AUTH from `address` (throttle_key() of the peer) at `now_ms`;
  // `connection_was_held`: the same connection had a failure held before (it keeps failing).
  AuthDecision on_failure(std::string_view address, std::int64_t now_ms,
                          bool connection_was_held = false);
  // A held failure is over (its reply went out, or its connection closed first). Exactly once
  // per kHold.
  void end_hold(std::string_view address);

  // A password about to be checked by the backend (auth.users_from_backend): admitted only while
  // the checks in flight for `address` fit in what it may still fail without being closed (its
  // free failures left, then its free places for held failures, and the total's), so guesses
  // reach the backend no faster than failures are let through. end_check() when the answer is
  // in, before on_failure(), exactly once per admitted check.
  bool begin_check(std::string_view address, std::int64_t now_ms);
  void end_check(std::string_view address);

  std::size_t tracked() const;  // addresses with an entry
  std::uint32_t held() const;   // failures held now, all addresses
  ThrottleSettings settings() const {
    std::lock_guard lock(mutex_);
    return settings_;
  }
  // A configuration reload (auth.*): later failures are decided with these bounds; the counts
  // and the holds in progress stay.
  void set_settings(const ThrottleSettings& settings) {
    std::lock_guard lock(mutex_);
    settings_ = settings;
  }

 private:
  struct Entry {
    std::uint32_t failures = 0;  // within the current window
    std::uint32_t held = 0;      // failures held now
    std::uint32_t checking = 0;  // passwords being checked by the backend now
    std::int64_t last_ms = 0;
  };
  void make_room(std::int64_t now_ms);
  std::uint32_t delay_for(std::uint32_t failures) const;

  ThrottleSettings settings_;  // guarded by mutex_
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::uint32_t held_total_ = 0;
  std::uint32_t checking_total_ = 0;
};

// The key failures are counted under: the IPv4 address, or the /64 prefix of an IPv6 one (a
// single host commonly owns a whole /64, so per-address counting would not slow it at all).
// `bytes` is the address in network order (4 or 16 bytes); IPv4-mapped IPv6 counts as IPv4.
std::string throttle_key(const unsigned char* bytes, std::size_t size);

}  // namespace funnel::security
