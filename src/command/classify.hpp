// classify(): what Funnel does with one request. Combines the table's flags and ACL categories
// with argument checks (XREAD is blocking only with BLOCK; PUBLISH/SPUBLISH/PUBSUB are ordinary
// despite their pubsub flag) and DESIGN.md's rule: only commands known to produce exactly one
// reply and to leave the connection's state untouched may go on a shared backend link.
#pragma once

#include <cstdint>
#include <string>

#include "command/command_table.hpp"
#include "resp/request_parser.hpp"

namespace funnel::command {

enum class Route : std::uint8_t {
  kForward,      // shared backend link
  kLocal,        // Funnel answers (see LocalCommand)
  kUnsupported,  // needs a dedicated backend connection; error() says so
  kReject,       // Redis's own error (unknown command, wrong arity, unknown subcommand)
};

// clang-format off
enum class LocalCommand : std::uint8_t {
  kNone, kPing, kEcho, kQuit, kReset, kSelect, kHello, kAuth, kClient,
  kFunnel,  // FUNNEL STATS | POOLS | CLIENTS | HELP: Funnel's own admin commands
  kMulti, kExec, kDiscard, kWatch, kUnwatch,  // transactions (client/transaction.hpp)
  kPubsub,  // (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE: the shared subscriber link (client/session_pubsub)
  kAclWhoami,  // ACL WHOAMI: the client's own user, not the backend link's
  kMonitor,    // MONITOR: a pinned link of its own streams the lines (client/monitor_mode.hpp)
};

// A forwarded reply that Funnel edits on its way back to the client.
enum class ReplyEdit : std::uint8_t {
  kNone,
  kFunnelInfo,     // INFO: Funnel appends its own section
  kPublishCount,   // PUBLISH, SPUBLISH: the receivers behind Funnel's subscriber link count
  kShardPublishCount,
  kNumsubCount,    // PUBSUB NUMSUB, SHARDNUMSUB: likewise
  kShardNumsubCount,
};

struct Classification {
  Route route = Route::kReject;
  LocalCommand local = LocalCommand::kNone;
  const CommandSpec* spec = nullptr;   // the row (owned by the table, valid while it lives);
                                       // null if unknown
  bool read_only = false;              // true only for commands the table marks readonly
  ReplyEdit reply_edit = ReplyEdit::kNone;  // forwarded replies Funnel edits (INFO, PUBLISH, ...)
  bool blocking = false;               // a blocking command (BLPOP, XREAD ... BLOCK, ...)
  bool out_of_band = false;            // kForward of an allow_busy command (SCRIPT KILL, ...):
                                       // never behind other requests on a link
  std::string error;                   // for kReject/kUnsupported: the text after '-', no CRLF
};
// clang-format on

// Classifies a non-empty request. `out` is reused between calls so its error string's storage
// is too; nothing is allocated on the forward path.
void classify(const CommandTable& table, const resp::Request& request, Classification& out);

// True if classify() would forward every request for this top-level command on a shared link
// once its arity is right, whatever the arguments. CommandTable stores it in each row.
bool forwards_as_is(const CommandSpec& spec);

// Redis's error texts, exposed for the local command handlers and tests.
std::string unknown_command_error(const resp::Request& request);
std::string wrong_arity_error(std::string_view full_name);
// `container` and `sub` as the client sent them (Redis upper-cases the container for HELP).
std::string unknown_subcommand_error(std::string_view container, std::string_view sub);
// The same text written over `text`, whose capacity is reused (a worker's scratch string).
void unknown_subcommand_error(std::string_view container, std::string_view sub, std::string& text);
std::string unsupported_error(std::string_view command_name, std::string_view why);

}  // namespace funnel::command
