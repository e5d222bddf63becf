// What a configuration reload hands each worker (issue #17, item 1): one immutable snapshot of
// the live settings, shared by every worker and posted to each one's loop, so the request path
// reads plain fields of its own worker and takes no lock.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "client/read_routes.hpp"
#include "config/config.hpp"
#include "routing/read_policy.hpp"
#include "security/user_directory.hpp"

namespace funnel::server {

// How long a reload's reply waits for the workers to apply its snapshot (each does between two
// batches, so far less than this unless a worker is stuck).
inline constexpr int kReloadApplyBoundMs = 5000;

// The reply to FUNNEL RELOAD and POST /reload goes out once every worker has applied the
// reload's snapshot, so a command on any connection after the reply sees the new settings. The
// reload itself is one party (it arrives when its report is final), each worker that is sent
// the snapshot another. Thread-safe; `done` runs once: on the last party's thread with true, or
// on expire()'s with false.
class ReloadBarrier {
 public:
  using Done = std::function<void(const ReloadBarrier& barrier, bool all_applied)>;
  explicit ReloadBarrier(Done done) : done_(std::move(done)) {}

  void expect(unsigned parties) { waiting_.fetch_add(parties, std::memory_order_relaxed); }
  void arrive() {
    if (waiting_.fetch_sub(1, std::memory_order_acq_rel) == 1) fire(true);
  }
  void expire() { fire(false); }
  // Parties that have not arrived (for the bound's error text).
  unsigned waiting() const { return waiting_.load(std::memory_order_acquire); }

  // Set by the reload before it arrives (the release of its arrive() publishes them).
  bool ok = false;
  std::string text;
  unsigned workers = 0;  // workers sent the snapshot

 private:
  void fire(bool all) {
    if (!fired_.exchange(true, std::memory_order_acq_rel)) done_(*this, all);
  }
  Done done_;
  std::atomic<unsigned> waiting_{1};  // the reload itself
  std::atomic<bool> fired_{false};
};
using ReloadBarrierPtr = std::shared_ptr<ReloadBarrier>;

struct LiveSettings {
  config::Config config;  // the running configuration with the reload's live keys applied
  std::shared_ptr<const security::UserDirectory> users;  // changed users: non-null
  routing::ReadPolicy read_policy = routing::ReadPolicy::kPrimary;
  client::ReadYourWrites read_your_writes = client::ReadYourWrites::kOff;
  // Set when connections_per_node changed: every worker arrives once it has resized its pools;
  // the last one has the extra links retired (backend/pool_resize.cpp).
  ReloadBarrierPtr pools_resized;
};
using LiveSettingsPtr = std::shared_ptr<const LiveSettings>;

}  // namespace funnel::server
