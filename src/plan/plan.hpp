// One request's plan: what ClientSession does with it (planner.hpp decides; the session carries
// it out). A small value, returned by value and inlined on the GET/SET path: error texts are
// views of static text, of the classification's error, or of the planner's scratch string.
#pragma once

#include <cstdint>
#include <string_view>

#include "command/classify.hpp"
#include "plan/lane.hpp"
#include "plan/local_rules.hpp"
#include "plan/session_state.hpp"

namespace funnel::plan {

enum class Action : std::uint8_t {
  kForward,     // send the request's bytes on `lane` to `target`
  kFanOut,      // send it as `fan_out`'s parts; their replies combine by its merge rule
  kLocal,       // Funnel answers: the handler of `local` (and `client_sub` for CLIENT)
  kReply,       // answer `text` (a whole reply, e.g. "+OK\r\n")
  kError,       // answer the error `text` (after '-', without CRLF)
  kBeginMulti,  // start a Funnel-held transaction, answer +OK
  kQueue,       // append to the held transaction, answer +QUEUED
  kExec,        // write the held transaction as one block (or answer EXECABORT)
  kDiscard,     // drop the held transaction, answer +OK
  kClose,       // answer +OK, read nothing more, close once it is written (QUIT)
  kLease,       // lease a pinned link for `pin_reason`, then plan the request again
  kRelease,     // give the pinned link back, then plan the request again
  kHold,        // leave the request unconsumed until `hold_for` ends
};

// What a held request waits for.
enum class HoldFor : std::uint8_t {
  kLane,   // the client's requests on another lane are answered (or the lease comes)
  kPause,  // a CLIENT PAUSE in force ends (routing/pause_gate.hpp): UNPAUSE, or its end time
  // The primary is failing over (routing/failover_hold.hpp): its successor confirmed, or the
  // request's hold deadline (backend.failover_hold_ms, within request_timeout_ms).
  kFailover,
};

enum class Target : std::uint8_t {
  kShared,     // the shared link of the client's database pool
  kPinned,     // the client's pinned link
  kReadRoute,  // a replica chosen by the read routes (or the primary, read-your-writes)
};

// Where one part of a fanned-out request goes.
enum class PartTarget : std::uint8_t {
  kClientLane,    // as a forward to `Plan::target`, on the client's lane
  kEveryReplica,  // a copy to each replica's shared link (outside the client's lanes)
  // Cluster mode: one part per slot of the request's keys (routing/slot_split.hpp), each on the
  // client's lane of that slot's shard (SessionContext::pool_for_slot).
  kEachSlot,
  // Cluster mode, keyless fan-out (keyless_rules.hpp): the request as sent to every shard's
  // primary; to every primary and every replica Funnel reads from; to the one shard a SCAN
  // cursor names.
  kEachPrimary,
  kEveryNode,
  kScanShard,
};

// How the parts' replies make the client's one reply, and which error wins. The kSlot* merges
// (routing/reply_merge.hpp) answer as one Redis would; an error of any part wins over the
// values, and of several errors the one of the part holding the earliest key in the client's
// order.
enum class Merge : std::uint8_t {
  kFirstPartWins,  // the first part's reply (or error) is the client's; the others are dropped
  kSlotArray,      // MGET: one array, elements in the client's key order
  kSlotAllOk,      // MSET: +OK when every part answered +OK
  kSlotSum,        // DEL, UNLINK, EXISTS, TOUCH: the sum of the parts' integers
  // Keyless fan-out (routing/keyless_merge.hpp); an error of any node wins, the lowest node's.
  kNodeSum,     // DBSIZE
  kNodeConcat,  // KEYS
  kNodeRandom,  // RANDOMKEY: a random non-empty shard's key
  kNodeAgree,   // SCRIPT LOAD/FLUSH, FUNCTION LOAD/FLUSH/DELETE: the reply all nodes agree on
  kNodeAnd,     // SCRIPT EXISTS: 1 where every node has the script
  kNodeAllOk,   // FLUSHALL, FLUSHDB
  kNodeScan,    // SCAN: the shard's reply with the client's cursor
};

struct FanOut {
  static constexpr std::size_t kMaxParts = 2;
  PartTarget parts[kMaxParts] = {};
  std::uint8_t count = 0;
  Merge merge = Merge::kFirstPartWins;
};

// Changes the session makes while it carries the plan out (bits of Plan::effects).
namespace effect {
inline constexpr std::uint16_t kAppendFunnelInfo = 1 << 0;  // INFO: append Funnel's section
inline constexpr std::uint16_t kNoRetry = 1 << 1;           // never retried after READONLY
inline constexpr std::uint16_t kBlockingDeadline = 1 << 2;  // the command's own timeout + margin
inline constexpr std::uint16_t kEnterPinnedMulti = 1 << 3;  // MULTI runs on the pinned link
inline constexpr std::uint16_t kLeavePinnedMulti = 1 << 4;  // EXEC/DISCARD/UNWATCH on the link
inline constexpr std::uint16_t kReleaseWhenIdle = 1 << 5;   // the pin's work ends with this reply
inline constexpr std::uint16_t kSelectFirst = 1 << 6;       // SELECT: admit the pool, then forward
inline constexpr std::uint16_t kAbortTransaction = 1 << 7;  // the held MULTI's EXEC will abort
inline constexpr std::uint16_t kDropLease = 1 << 8;         // the refused lease is forgotten
inline constexpr std::uint16_t kPermissionDenied = 1 << 9;  // counted as a NOPERM refusal
// Redis's allow_busy commands (SCRIPT KILL, SHUTDOWN, ...): on a connection of their own, never
// behind other requests on a link (backend/script_kill.hpp).
inline constexpr std::uint16_t kOutOfBand = 1 << 10;
inline constexpr std::uint16_t kPubsubCount = 1 << 11;   // PUBLISH/NUMSUB: correct the count
inline constexpr std::uint16_t kStartMonitor = 1 << 12;  // MONITOR: the link streams its lines
// CLIENT PAUSE / UNPAUSE (client_sub says which): the session records it in the process's
// PauseGate as it sends it.
inline constexpr std::uint16_t kRecordPause = 1 << 13;
// Queued in the held MULTI: a command PAUSE WRITE postpones, so EXEC waits out such a pause.
inline constexpr std::uint16_t kQueuedWrite = 1 << 14;
// Cluster mode, queued in the held MULTI: the command's keys are in Plan::slot; EXEC answers
// CROSSSLOT if the block's keys are in more than one slot (SessionState::tx_slot).
inline constexpr std::uint16_t kQueuedSlot = 1 << 15;
}  // namespace effect

struct Plan {
  Action action = Action::kError;
  Target target = Target::kShared;
  command::LocalCommand local = command::LocalCommand::kNone;
  ClientSub client_sub = ClientSub::kNone;
  PinReason pin_reason = PinReason::kWatch;
  HoldFor hold_for = HoldFor::kLane;
  std::uint16_t effects = 0;
  std::uint16_t slot = 0;  // effect::kQueuedSlot: the queued command's slot
  Lane lane;
  std::string_view text;  // kReply, kError
  FanOut fan_out;         // kFanOut

  bool has(std::uint16_t bit) const { return (effects & bit) != 0; }

  static Plan forward(Target target, Lane lane, std::uint16_t effects = 0) {
    Plan p;
    p.action = Action::kForward;
    p.target = target;
    p.lane = lane;
    p.effects = effects;
    return p;
  }
  static Plan error(std::string_view text, std::uint16_t effects = 0) {
    Plan p;
    p.action = Action::kError;
    p.text = text;
    p.effects = effects;
    return p;
  }
  static Plan reply(std::string_view bytes) {
    Plan p;
    p.action = Action::kReply;
    p.text = bytes;
    return p;
  }
  static Plan local_command(command::LocalCommand local, ClientSub sub = ClientSub::kNone) {
    Plan p;
    p.action = Action::kLocal;
    p.local = local;
    p.client_sub = sub;
    return p;
  }
  static Plan simple(Action action) {
    Plan p;
    p.action = action;
    return p;
  }
  static Plan hold(HoldFor reason) {
    Plan p;
    p.action = Action::kHold;
    p.hold_for = reason;
    return p;
  }
  static Plan lease(PinReason reason) {
    Plan p;
    p.action = Action::kLease;
    p.pin_reason = reason;
    return p;
  }
};

}  // namespace funnel::plan
