// What Funnel remembers about users kept in the backend (auth.users_from_backend): the verdict
// for a name and password (keyed by a keyed hash of both, never the password), and each name's
// current rules, for auth.backend_users_cache_ms. The rules of a name that clients are logged in
// as are read again once per cache time (BackendAuth's refresh); a change bumps generation(), and
// each worker then rebinds its sessions to current() (or closes them: the user is gone or off),
// as Redis applies ACL SETUSER and ACL DELUSER to connected clients. No I/O; the clock is passed
// in. Thread-safe: a mutex taken on AUTH, on a refresh, and when a worker rebinds.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "security/password_hash.hpp"
#include "security/user_directory.hpp"

namespace funnel::security {

enum class BackendVerdict : std::uint8_t {
  kLoggedIn,     // `user` holds the rules to enforce
  kWrongPass,    // WRONGPASS: bad password, unknown or disabled user
  kRefused,      // the backend accepted the password but Funnel cannot enforce the rules
  kUnavailable,  // the backend could not be asked (down, slow, too many checks waiting)
};

struct BackendAuthResult {
  BackendVerdict verdict = BackendVerdict::kUnavailable;
  std::shared_ptr<const User> user;  // kLoggedIn
  std::string text;                  // kRefused, kUnavailable: the error, after "-ERR funnel: "
};

class BackendUserCache {
 public:
  static constexpr std::size_t kMaxEntries = 10'000;  // bounded under a spray of names

  explicit BackendUserCache(std::uint32_t ttl_ms);
  std::uint32_t ttl_ms() const { return ttl_ms_; }

  // The key a name and password are remembered under: HMAC-free but salted with a random
  // per-process key, so the cache holds nothing an offline guess could be checked against.
  Sha256 credential_key(std::string_view user, std::string_view password) const;
  // The remembered verdict, if fresh (kLoggedIn and kWrongPass only; the others are not kept).
  bool find(const Sha256& key, std::int64_t now_ms, BackendAuthResult& out);
  // Remembers a verdict for `name` (kLoggedIn: with the name's current rules, see update).
  void store(const Sha256& key, const std::string& name, BackendVerdict verdict,
             std::int64_t now_ms);

  // The rules ACL GETUSER gave for `name` now (null: gone, off or refused): bumps generation()
  // when they differ from those the name had. Returns the User to act as: the one the name had
  // when its rules are the same (sessions keep sharing it), else `user`.
  std::shared_ptr<const User> update(const std::string& name, std::shared_ptr<const User> user,
                                     std::int64_t now_ms);
  // The names clients are logged in as whose rules are older than the cache time (to read
  // again); names nobody uses any more are forgotten.
  std::vector<std::string> due_for_refresh(std::int64_t now_ms);
  // Workers' side: changes when some name's rules changed; current() is what a session logged in
  // as `name` acts as now (null: close it).
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const User> current(const std::string& name) const;

 private:
  struct Verdict {
    BackendVerdict verdict = BackendVerdict::kWrongPass;
    std::string name;
    std::int64_t expires_ms = 0;
  };
  struct Current {
    std::shared_ptr<const User> user;  // null: gone
    std::int64_t read_ms = 0;
  };
  void forget_expired(std::int64_t now_ms);

  const std::uint32_t ttl_ms_;
  std::string salt_;
  mutable std::mutex mutex_;
  std::map<Sha256, Verdict> verdicts_;
  std::map<std::string, Current, std::less<>> current_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace funnel::security
