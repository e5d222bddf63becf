// Accept smoothing (issue #18 item 3, server.accept_rate_per_s): when a burst of connects
// arrives, a worker takes them from its listen backlog at a smoothed rate instead of all at once,
// and the excess waits in the kernel's backlog (not refused, not reset) for a bounded time. This
// is the no-I/O decision; the worker's accept loop (worker.cpp) carries it out.
#pragma once

#include <cstddef>
#include <cstdint>

namespace funnel::server {

struct AcceptPace {
  double rate_per_s = 0;          // this worker's share of server.accept_rate_per_s; 0: unlimited
  double burst = 0;               // connections taken at once after a quiet spell (>= 1)
  std::int64_t max_delay_ms = 0;  // server.accept_max_delay_ms: the longest wait in the backlog
};

// A token bucket with a deadline. The worker asks allowance() before taking connections, reports
// what it took, and whether the backlog was left non-empty (deferred) or emptied (drained). The
// oldest connection still in the backlog arrived no earlier than the first deferral since the
// backlog was last empty, so once that deferral is max_delay_ms old the backlog is taken whole:
// a connection may wait longer than the pace wants, never longer than the bound (a full backlog
// drops SYNs, which clients see as seconds of retransmission).
class AcceptPacer {
 public:
  static constexpr std::size_t kUnlimited = SIZE_MAX;

  // Sets the pace (also on reload); the bucket starts full.
  void configure(const AcceptPace& pace, std::int64_t now_ms);
  bool limited() const { return pace_.rate_per_s > 0; }

  // How many connections may be taken now: kUnlimited when unpaced or past the delay bound.
  std::size_t allowance(std::int64_t now_ms);
  void took(std::size_t count);
  // The worker stopped with connections left in the backlog (allowance spent).
  void deferred(std::int64_t now_ms);
  // accept() said the backlog is empty.
  void drained() { waiting_since_ = kNotWaiting; }
  // While deferred: the milliseconds until the next connection may be taken (a token, or the
  // delay bound, whichever comes first); at least 1.
  std::int64_t retry_in_ms(std::int64_t now_ms) const;

 private:
  static constexpr std::int64_t kNotWaiting = INT64_MIN;
  void refill(std::int64_t now_ms);

  AcceptPace pace_;
  double tokens_ = 0;
  std::int64_t refilled_at_ = 0;
  std::int64_t waiting_since_ = kNotWaiting;
};

// This worker's share of the process-wide pace: each worker has its own listener (SO_REUSEPORT
// spreads connects over them), so the rate and the burst are split evenly.
AcceptPace accept_pace_share(std::uint32_t rate_per_s, std::uint32_t burst,
                             std::uint32_t max_delay_ms, unsigned workers);

}  // namespace funnel::server
