// Held requests through a failover (issue #17 item 3, issue #16 item 8; docs/topology.md#failover):
// what Funnel knows about a primary that may be failing over (its links, the sentinels' events,
// the cluster's flags), and the decision for one request: send it now, hold it inside Funnel
// (until when), or fail it with a clear error. No I/O: the callers pass the clock.
//
// Four pieces:
// - classify_sentinel_event(): a Sentinel channel name as a failover signal;
// - FailoverWatch: the control thread's memory of those signals for the primary, and when a
//   failover counts as over (a different primary confirmed by ROLE, an abort, or silence);
// - decide(): the rule for one request, given the facts and the request's arrival;
// - FailoverGate: the process-wide atomics the control thread and the workers' links set and the
//   sessions read once per batch (three relaxed loads when nothing is failing over).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/clock.hpp"

namespace funnel::routing {

// What a signal says about the primary, mildest first.
enum class FailoverSignal : std::uint8_t {
  kNone,       // says nothing about a failover (+slave, +sentinel, -sdown of a replica, ...)
  kSuspected,  // +sdown of the master (one sentinel cannot reach it); a cluster node's pfail
  kDown,       // +odown (the quorum agrees); a cluster node's fail; CLUSTERDOWN
  // The failover has begun: +try-failover, +elected-leader, +failover-state-*, +selected-slave.
  // From here the old primary must not be sent anything: Sentinel is about to promote a replica
  // while the old primary still accepts writes, which it will discard when demoted.
  kStarted,
  kPromoted,  // +promoted-slave, +failover-end, +switch-master: a new primary exists; ROLE confirms
  kRecovered,  // -sdown / -odown of the master: it is reachable again, no failover after all
  kAborted,    // -failover-abort-*: the old primary stays
};

// A Sentinel 7.0 channel name (the event's payload already known to be about our master).
FailoverSignal classify_sentinel_event(std::string_view channel);

struct HoldSettings {
  common::Millis hold_ms = 5000;             // backend.failover_hold_ms; 0: fail fast as before
  common::Millis request_timeout_ms = 5000;  // backend.request_timeout_ms
};

// What Funnel knows about one primary at one moment.
struct PrimaryFacts {
  bool links_down = false;  // Funnel's links to it dropped and have not come back
  // The topology source can promote another node (Sentinel, discovery, static replicas, a
  // cluster shard with replicas): a down link is then an expected failover, worth waiting for.
  bool can_fail_over = true;
  FailoverSignal signal = FailoverSignal::kNone;  // the strongest signal still in force
  bool replica_readable = false;                  // reads only: a replica may serve this read
};

enum class HoldVerdict : std::uint8_t { kSend, kHold, kFail };

struct HoldDecision {
  HoldVerdict verdict = HoldVerdict::kSend;
  common::Millis until = 0;  // kHold: decide again by then (the request's hold deadline)
};

// The request's hold deadline: `hold_ms` after it was first held, and never past the request's
// own deadline (request_timeout_ms from its arrival).
inline common::Millis hold_deadline(const HoldSettings& settings, common::Millis arrived) {
  const common::Millis hold = settings.hold_ms < settings.request_timeout_ms
                                  ? settings.hold_ms
                                  : settings.request_timeout_ms;
  return arrived + hold;
}

// True when the facts say "a failover is in progress or expected": requests for the primary wait.
bool failover_expected(const PrimaryFacts& facts);

// One request, `arrived` when it was first held (or now), decided at `now`. `read` is a
// read-only command that the read policy lets a replica serve.
HoldDecision decide(const PrimaryFacts& facts, const HoldSettings& settings, bool read,
                    common::Millis arrived, common::Millis now);

// The error a held request gets when its hold ends without a confirmed primary.
inline constexpr std::string_view kFailoverTimedOut =
    "ERR funnel: the primary is failing over and no new primary was confirmed within "
    "backend.failover_hold_ms; the command was not run: retry it";

// The control thread's memory of the failover signals for the current primary. `window_ms`
// (the hold) bounds how long a signal counts without a newer one: a failover that goes silent
// (Sentinel lost, the quorum gone) ends the hold instead of stalling writes for ever.
class FailoverWatch {
 public:
  explicit FailoverWatch(common::Millis window_ms) : window_ms_(window_ms) {}
  // A reload changed the hold: signals heard from now on count this long.
  void set_window(common::Millis window_ms) { window_ms_ = window_ms; }
  // A signal heard at `now`. A stronger or equal signal replaces the one in force; kRecovered and
  // kAborted end a failover that has not started promoting (after kPromoted only a confirmed
  // primary ends it).
  void hear(FailoverSignal signal, common::Millis now);
  // A different primary answered ROLE master and the workers have its links: the failover is over.
  void primary_confirmed() { signal_ = FailoverSignal::kNone; }
  // The signal in force at `now` (kNone once `window_ms` passed without a signal).
  FailoverSignal signal(common::Millis now) const;
  // Until when the sessions should hold (0: no hold).
  common::Millis hold_until(common::Millis now) const;

 private:
  common::Millis window_ms_;
  FailoverSignal signal_ = FailoverSignal::kNone;
  common::Millis heard_at_ = 0;
};

// Process-wide: set by the control thread (announced failovers) and by the primary's links (down,
// up); read by every session once per batch. Lock-free; relaxed atomics (a request held a tick
// too long or too short is harmless: the hold is a bounded wait, never the only guard).
class FailoverGate {
 public:
  // backend.failover_hold_ms and whether a down link means an expected failover (not for a single
  // --backend node, which nothing can replace). Called before the workers start and again by a
  // configuration reload (any thread): holds that began keep their deadline, new ones use this.
  void configure(common::Millis hold_ms, bool links_down_holds) {
    hold_ms_.store(hold_ms, std::memory_order_relaxed);
    links_down_holds_.store(links_down_holds && hold_ms > 0, std::memory_order_relaxed);
  }
  common::Millis hold_ms() const { return hold_ms_.load(std::memory_order_relaxed); }

  // Called (on the thread that ended it) when a hold ends: a new primary confirmed, an aborted
  // failover, the primary's links back. Every worker then re-checks its held sessions at once
  // instead of on its next tick. Set once before the workers start; it must be thread-safe.
  void set_waker(std::function<void()> waker) { waker_ = std::move(waker); }

  // Control thread: a failover announced, held until `until` (0: none in force).
  void announce(common::Millis until) {
    if (announced_until_.exchange(until, std::memory_order_relaxed) != 0 && until == 0) wake();
  }
  // Control thread: a new primary confirmed in snapshot `epoch`: sessions on an older snapshot
  // keep holding (their worker has not switched its links yet), the others go on.
  void confirm(std::uint64_t epoch) {
    min_epoch_.store(epoch, std::memory_order_relaxed);
    announced_until_.store(0, std::memory_order_relaxed);
    links_down_until_.store(0, std::memory_order_relaxed);
    wake();
  }
  // A worker's link to the primary dropped at `now` (or came back: up).
  void links_down(common::Millis now) {
    if (links_down_holds_.load(std::memory_order_relaxed)) {
      links_down_until_.store(now + hold_ms(), std::memory_order_relaxed);
    }
  }
  void links_up() {
    if (links_down_until_.load(std::memory_order_relaxed) == 0) return;  // the usual case
    if (links_down_until_.exchange(0, std::memory_order_relaxed) != 0) wake();
  }

  // Per batch: true while requests for the primary should wait. `epoch` is the worker's snapshot.
  bool holding(std::uint64_t epoch) const {
    const common::Millis until = announced_until_.load(std::memory_order_relaxed) |
                                 links_down_until_.load(std::memory_order_relaxed);
    if (until == 0 && epoch >= min_epoch_.load(std::memory_order_relaxed)) [[likely]]
      return false;
    return holding_slow(epoch, common::coarse_now_ms());
  }
  bool holding_slow(std::uint64_t epoch, common::Millis now) const;
  // True when the hold in force came from a failover announced by the topology source.
  bool announced(common::Millis now) const {
    return now < announced_until_.load(std::memory_order_relaxed);
  }

  // Metrics: requests held now (one per client: its later requests are not read meanwhile),
  // and in total, and those whose hold ended in the error.
  void add_held(std::int64_t delta) {
    held_.fetch_add(delta, std::memory_order_relaxed);
    if (delta > 0) held_total_.fetch_add(1, std::memory_order_relaxed);
  }
  void add_expired() { expired_total_.fetch_add(1, std::memory_order_relaxed); }
  std::int64_t held() const { return held_.load(std::memory_order_relaxed); }
  std::uint64_t held_total() const { return held_total_.load(std::memory_order_relaxed); }
  std::uint64_t expired_total() const { return expired_total_.load(std::memory_order_relaxed); }

 private:
  void wake() const {
    if (waker_) waker_();
  }
  std::atomic<common::Millis> hold_ms_{0};
  std::atomic<bool> links_down_holds_{false};
  std::function<void()> waker_;
  std::atomic<common::Millis> announced_until_{0};
  std::atomic<common::Millis> links_down_until_{0};
  std::atomic<std::uint64_t> min_epoch_{0};
  std::atomic<std::int64_t> held_{0};
  std::atomic<std::uint64_t> held_total_{0};
  std::atomic<std::uint64_t> expired_total_{0};
};

}  // namespace funnel::routing
