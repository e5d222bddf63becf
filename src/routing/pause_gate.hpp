// Redis's CLIENT PAUSE as Funnel sees it. A client's CLIENT PAUSE reaches the primary out of band
// (backend/script_kill.hpp); Funnel records the pause here, process-wide, so that every worker
// (a) holds the commands Redis would postpone under PAUSE WRITE itself instead of letting one of
// them stall a shared link (the planner's kHold, HoldFor::kPause), and (b) reads a health check,
// control PING or handshake that times out during PAUSE ALL as "paused", not "failed".
// No I/O: the callers pass the clock.
#pragma once

#include <atomic>
#include <cstdint>
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
  // after reads sent later). Per batch of requests: one relaxed load when no pause is recorded.
  bool holds_writes() const {
    if (word_.load(std::memory_order_relaxed) == 0) [[likely]]
      return false;
    return mode_at(common::coarse_now_ms()) == PauseMode::kWrite;
  }
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
};

}  // namespace funnel::routing
