// The commands Funnel answers itself, as rows of properties the planner reads (like
// config/key_table.cpp drives configuration): for each LocalCommand and each CLIENT subcommand,
// whether it runs before AUTH and in RESP2 subscribe mode, what it does inside a Funnel-held
// MULTI and on a pinned link, and (CLIENT) its arity. The handlers that produce the replies are
// client/local_table.cpp's rows, indexed by the same enums. No I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "command/classify.hpp"

namespace funnel::plan {

// What a command does inside a MULTI that Funnel holds (transaction_rule.hpp).
enum class InMulti : std::uint8_t {
  kQueue,    // goes into the block (Redis answers it inside EXEC's array)
  kNested,   // MULTI: Redis's error, the transaction goes on
  kExec,     // EXEC
  kDiscard,  // DISCARD
  kWatch,    // WATCH: Redis's error, the transaction goes on
  kRunNow,   // RESET, QUIT: run at once, as in Redis
  kRefuse,   // it would change the shared link's state: clear error, EXEC aborts
};

// What a command does while the client holds a pinned link.
enum class OnPin : std::uint8_t {
  kLocal,          // Funnel answers, as for any client (RESET also ends the pin)
  kForward,        // runs on the link (WATCH's state lives there)
  kEnterMulti,     // MULTI: runs on the link, which is now inside a transaction
  kLeaveMulti,     // EXEC, DISCARD, UNWATCH: run on the link; a WATCH pin's work is done
  kLocalOrQueued,  // PING, ECHO: Funnel answers, unless a MULTI on the link queues them
  kSameProtocol,   // HELLO: Funnel answers, but may not change the link's protocol
  kSelect,         // SELECT: Funnel admits the database pool, then the link follows
  kClient,         // CLIENT: per subcommand (ClientSubRule::on_pin)
  kMonitor,        // MONITOR: runs on a monitor pin (monitor_rule.hpp); refused on the others
};

struct LocalRule {
  command::LocalCommand local;
  std::string_view name;
  bool before_auth;      // runs before AUTH whatever the command table says (QUIT)
  bool resp2_subscribe;  // allowed in RESP2 subscribe mode
  InMulti in_multi;
  OnPin on_pin;
};

// How many LocalCommands there are (the last is kMonitor).
inline constexpr std::size_t kLocalCommands =
    static_cast<std::size_t>(command::LocalCommand::kMonitor) + 1;

// One row per LocalCommand, in the enum's order.
const LocalRule& local_rule(command::LocalCommand local);
std::span<const LocalRule> local_rules();

// CLIENT's subcommands, answered by Funnel (client/client_command.cpp). kNone: unknown.
// clang-format off
enum class ClientSub : std::uint8_t {
  kNone, kId, kGetname, kSetname, kSetinfo, kInfo, kList, kGetredir, kTrackinginfo, kReply,
  kNoEvict, kCaching, kHelp, kTracking, kPause, kUnpause, kRefused, kCount,
};
// clang-format on

// What a CLIENT subcommand does on a pinned link.
enum class ClientOnPin : std::uint8_t {
  kLocal,     // Funnel answers
  kForward,   // the client-side caching family runs on the link (its tracking state is there)
  kTracking,  // TRACKING: only on a tracking pin; OFF ends the pin
};

struct ClientSubRule {
  std::string_view name;  // upper case, as matched (case-insensitively)
  ClientSub sub;
  std::uint8_t argc;  // the exact argument count (0: any; the handler checks)
  ClientOnPin on_pin;
};

// The row for CLIENT's subcommand `name` (any case); ClientSub::kNone's row when unknown.
const ClientSubRule& client_sub_rule(std::string_view name);
std::span<const ClientSubRule> client_sub_rules();

}  // namespace funnel::plan
