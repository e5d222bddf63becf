// The protocol state of one client session, as the planner (planner.hpp) sees it: one small
// struct instead of a set of flags. ClientSession owns one and updates it when it carries out a
// plan (a lease granted, a MULTI begun, SELECT, HELLO, AUTH, subscriptions); the resources behind
// the state (the leased link, the queued transaction bytes, the subscription names) stay with the
// session. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "plan/lane.hpp"
#include "resp/writer.hpp"

namespace funnel::security {
class User;
}

namespace funnel::plan {

// Why a session holds a pinned link. The order is that of the funnel_pins_total{reason} labels
// (metrics/stateful_metrics.cpp).
enum class PinReason : std::uint8_t { kBlocking, kWatch, kTracking, kMonitor, kCount };

enum class Mode : std::uint8_t {
  kNormal,        // requests go to the shared links of the client's database pool
  kQueuing,       // inside a MULTI that Funnel holds (written as one block at EXEC)
  kLeaseWaiting,  // a pinned link was asked for and none is free yet: everything waits
  kLeaseRefused,  // none came in time: the held request gets lease_error, then kNormal
  kPinned,        // requests go to the client's own pinned link
};

// CLIENT REPLY ON | OFF | SKIP.
enum class ReplyMode : std::uint8_t { kOn, kOff, kSkip };

// CLIENT REPLY as Redis 7.0 applies it to the request about to run: its reply is dropped under
// OFF and SKIP, and a SKIP lasts that one request.
struct ReplyTurn {
  bool silenced;
  ReplyMode next;  // the mode once this request has begun
};
constexpr ReplyTurn reply_turn(ReplyMode mode) {
  return {mode != ReplyMode::kOn, mode == ReplyMode::kSkip ? ReplyMode::kOn : mode};
}

// RESET ends CLIENT REPLY OFF (the mode becomes kOn): Redis's clearClientConnectionState clears
// REPLY_OFF before RESET answers, so RESET's own reply is sent, unless a SKIP was spent on RESET
// itself (Redis turned SKIP_NEXT into SKIP before running it). `mode` is the mode after
// reply_turn, `silenced` the turn's verdict; returns whether RESET's reply is dropped.
constexpr bool reset_reply_silenced(ReplyMode mode, bool silenced) {
  return silenced && mode != ReplyMode::kOff;
}

struct SessionState {
  // One-byte fields first and together: one of these per client, so no padding (issue #20's
  // idle bytes per client).
  Mode mode = Mode::kNormal;
  resp::Protocol protocol = resp::Protocol::kResp2;
  ReplyMode reply_mode = ReplyMode::kOn;
  bool subscribed = false;  // any (P|S)SUBSCRIBE in force (Redis's subscribe mode)
  bool tx_writes = false;   // kQueuing: the block holds a write (effect::kQueuedWrite)
  // kQueuing in cluster mode: the slot of the block's keys so far (effect::kQueuedSlot), and
  // whether they span several (EXEC then answers CROSSSLOT and discards the block, as Redis).
  bool tx_has_slot = false;
  bool tx_cross_slot = false;
  // The pinned link (modes kLeaseWaiting, kLeaseRefused, kPinned).
  PinReason pin_reason = PinReason::kWatch;
  std::uint16_t tx_slot = 0;
  bool pin_in_multi = false;  // a MULTI runs on the pinned link itself (after WATCH)
  bool pin_done = false;      // give the link back once nothing is in flight on it
  // MONITOR has been sent on the pinned link (kPinned, kMonitor): it carries no more requests;
  // the client's go on shared links, as anyone's (monitor_rule.hpp).
  bool monitoring = false;
  // The pinned link that held this client's WATCH was lost (Redis restarted, or a failover
  // retired the link to the old primary): as when a watched key changed, the next EXEC answers
  // nil, and WATCH adds nothing until EXEC, DISCARD, UNWATCH or RESET clear it.
  bool watch_lost = false;
  // The worker's shared-link layout (bumped when a reload changes connections_per_node, so the
  // client's link may change): part of the shared lane, so a request on the new layout waits
  // for the client's requests in flight on the old one (the lane barrier). Set per request.
  std::uint8_t pool_layout = 0;
  std::uint32_t db = 0;                  // SELECT: the database pool the client uses
  std::uint32_t pin_serial = 0;          // numbers the client's leases (their lanes)
  LaneTracker lanes;                     // the client's requests in flight and on which lane
  const security::User* user = nullptr;  // null until authenticated (owned by the directory)
  // kLeaseRefused: the pool's reason (owned by the session's lease). A pointer, not a
  // string_view: 8 bytes less in every session (issue #20, idle bytes per client).
  const std::string* lease_error = nullptr;

  bool holds_pin() const { return mode == Mode::kPinned; }
  // Forwarded requests go on the pinned link (not while it streams MONITOR's lines).
  bool requests_on_pin() const { return mode == Mode::kPinned && !monitoring; }
  // The lane of this client's requests on shared links (its database, on the current layout).
  // (databases stay below 2^20; 7 bits of layout, below Lane::kPinnedBit.)
  Lane shared_lane() const {
    return Lane::shared(db | (std::uint32_t{pool_layout} % kPoolLayouts) << 24);
  }
  // The layout of this client's requests in flight on a shared link, or -1 (none in flight, or
  // on a pinned lane): what next_pool_layout must not reuse yet.
  int layout_in_flight() const {
    const Lane lane = lanes.current();
    if (lanes.in_flight() == 0 || lane.is_pinned()) return -1;
    return static_cast<int>((lane.value >> 24) % kPoolLayouts);
  }
  // The lane a forwarded request of this client travels on.
  Lane forward_lane() const {
    return mode == Mode::kNormal || mode == Mode::kQueuing || monitoring ? shared_lane()
                                                                         : Lane::pinned(pin_serial);
  }
  // RESP2 subscribe mode: only the pub/sub commands, PING, QUIT and RESET run.
  bool resp2_subscribed() const { return subscribed && protocol == resp::Protocol::kResp2; }
};

}  // namespace funnel::plan
