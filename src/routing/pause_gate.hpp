// Redis's CLIENT PAUSE as Funnel sees it. A client's CLIENT PAUSE reaches the primary out of band
// (backend/script_kill.hpp); Funnel records the pause here, process-wide, so that every worker
// (a) holds the commands Redis would postpone under PAUSE WRITE itself instead of letting one of
// them stall a shared link (the planner's kHold, HoldFor::kPause), and (b) reads a health check,
// control PING or handshake that times out during PAUSE ALL as "paused", not "failed".
// No I/O: the callers pass the clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>

#include "command/classify.hpp"
#include "common/clock.hpp"
#include "resp/request_parser.hpp"

namespace funnel::routing {

// Ordered as Redis orders pause types: a later pause never lowers the mode.
enum class PauseMode : std::uint8_t { kOff = 0, kWrite = 1, kAll = 2 };

struct PauseRequest {
  PauseMode mode = PauseMode::kAll;
  common::Millis timeout_ms = 0;
};

// FUNNEL PAUSE [timeout-ms] without a timeout, and the longest one taken (an hour): a pause that
// nobody ends must not hold a fleet's requests for ever.
inline constexpr common::Millis kHoldAllDefaultMs = 30'000;
inline constexpr common::Millis kHoldAllMaxMs = 3'600'000;

// FUNNEL PAUSE's timeout argument: a whole number of milliseconds in 1..kHoldAllMaxMs, else
// nullopt.
std::optional<common::Millis> parse_hold_all_timeout(std::string_view text);

// CLIENT PAUSE <ms> [WRITE|ALL] as Redis 7.0 reads it; nullopt where Redis answers an error (the
// request still goes to Redis, which says why; Funnel records nothing).
std::optional<PauseRequest> parse_pause(const resp::Request& request);

// True for what Redis postpones under PAUSE WRITE (processCommand: CMD_WRITE | CMD_MAY_REPLICATE):
// write commands, EVAL/EVALSHA/FCALL (unless EVAL's shebang says flags=no-writes; EVALSHA's and
// FCALL's flags live in Redis, so Funnel holds them), PUBLISH, SPUBLISH and PFCOUNT.
bool paused_by_write_pause(const command::Classification& cls, const resp::Request& request);

class PauseGate {
 public:
  // CLIENT PAUSE sent at `now`: as Redis, the stricter mode and the later end win.
  void pause(PauseRequest request, common::Millis now);
  // CLIENT UNPAUSE sent. Under PAUSE ALL Redis postpones it until the pause expires, so the
  // pause stands until its end time; otherwise the pause ends now.
  void unpause(common::Millis now);
  PauseMode mode_at(common::Millis now) const;
  // PAUSE WRITE in force: Funnel holds what Redis would postpone. Not under PAUSE ALL, where
  // Redis postpones everything itself and releases it in arrival order (held writes would go
  // after reads sent later). Also true while a FUNNEL PAUSE holds everything (holds_all), so one
  // flag per batch tells the planner to look closer. Per batch of requests: two relaxed loads
  // when no pause is recorded.
  bool holds_writes() const {
    if ((word_.load(std::memory_order_relaxed) | hold_all_until_.load(std::memory_order_relaxed)) ==
        0) [[likely]]
      return false;
    const common::Millis now = common::coarse_now_ms();
    return holds_all(now) || mode_at(now) == PauseMode::kWrite;
  }

  // FUNNEL PAUSE: unlike CLIENT PAUSE, nothing reaches Redis; Funnel holds every request it
  // would send (the planner's kHold, HoldFor::kPause) until resume_all() or `timeout_ms` from
  // `now`, when the requests still held fail. A pause in force is extended, keeping its id.
  // Returns the pause's id. Thread-safe (operators' commands: rare, any thread).
  std::uint64_t hold_all(common::Millis timeout_ms, common::Millis now);
  // FUNNEL RESUME: the held requests go on. False if no FUNNEL PAUSE was in force.
  bool resume_all(common::Millis now);
  bool holds_all(common::Millis now) const {
    const common::Millis until = hold_all_until_.load(std::memory_order_relaxed);
    return until != 0 && now < until;
  }
  // The FUNNEL PAUSE in force (or the last one), for a held request to remember.
  std::uint64_t hold_all_id() const { return hold_all_id_.load(std::memory_order_relaxed); }
  // A request held by FUNNEL PAUSE `id`: true once that pause has ended at its timeout, not by
  // FUNNEL RESUME (the request then gets ERR funnel: paused ..., never sent).
  bool hold_all_timed_out(std::uint64_t id, common::Millis now) const {
    return resumed_id_.load(std::memory_order_relaxed) < id && !holds_all(now);
  }
  // When the FUNNEL PAUSE in force ends (0: none).
  common::Millis hold_all_end_ms() const { return hold_all_until_.load(std::memory_order_relaxed); }
  // A timeout on the primary's links or health checks now means "paused", not "failed".
  bool paused_all(common::Millis now) const { return mode_at(now) == PauseMode::kAll; }
  // When the pause in force ends (0: none).
  common::Millis end_ms() const;
  // A timeout at `now` may be a PAUSE ALL's doing, not the node's: one is in force, or ended less
  // than `grace` ago (requests Redis postponed are answered only after it ends). UNPAUSE does not
  // shorten this: Redis postpones an UNPAUSE sent during PAUSE ALL until the pause's end.
  bool excuses_timeouts(common::Millis now, common::Millis grace) const {
    const common::Millis until = all_until_.load(std::memory_order_relaxed);
    return until != 0 && now < until + grace;
  }

  // Called (on the thread that ended it) when a pause ends by FUNNEL RESUME or CLIENT UNPAUSE:
  // every worker frees its held clients now, not on its next tick. Set once before the workers
  // start; it must be thread-safe (it posts to each worker).
  void set_waker(std::function<void()> waker) { waker_ = std::move(waker); }

  // Clients whose requests Funnel holds for the pause (counted in INFO's blocked_clients).
  void add_held(std::int64_t delta) { held_.fetch_add(delta, std::memory_order_relaxed); }
  std::int64_t held() const { return held_.load(std::memory_order_relaxed); }

 private:
  static PauseMode mode_at_word(std::uint64_t word, common::Millis now);
  void note_all_until(common::Millis until);
  // end_ms << 2 | mode; 0 when no pause is recorded (cleared by unpause).
  std::atomic<std::uint64_t> word_{0};
  std::atomic<std::int64_t> held_{0};
  std::atomic<common::Millis> all_until_{0};  // the end of the latest PAUSE ALL (0: none yet)
  // FUNNEL PAUSE: its end (0: none in force), its id, the latest id ended by FUNNEL RESUME.
  std::atomic<common::Millis> hold_all_until_{0};
  std::atomic<std::uint64_t> hold_all_id_{0};
  std::atomic<std::uint64_t> resumed_id_{0};
  std::function<void()> waker_;
};

}  // namespace funnel::routing
