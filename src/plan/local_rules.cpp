// The rows of local_rules.hpp: one per command Funnel answers itself, one per CLIENT subcommand.
#include "plan/local_rules.hpp"

#include <algorithm>
#include <array>

#include "command/ascii.hpp"

namespace funnel::plan {
namespace {

using command::LocalCommand;
using L = LocalCommand;

// clang-format off
constexpr std::array kLocalRules = {
  //        command          name        before  resp2    inside MULTI        on a pinned link
  //                                     AUTH    subscr.
  LocalRule{L::kNone,      "",         false,  false,   InMulti::kRefuse,   OnPin::kLocal},
  LocalRule{L::kPing,      "ping",     false,  true,    InMulti::kQueue,    OnPin::kLocalOrQueued},
  LocalRule{L::kEcho,      "echo",     false,  false,   InMulti::kQueue,    OnPin::kLocalOrQueued},
  LocalRule{L::kQuit,      "quit",     true,   true,    InMulti::kRunNow,   OnPin::kLocal},
  LocalRule{L::kReset,     "reset",    false,  true,    InMulti::kRunNow,   OnPin::kLocal},
  LocalRule{L::kSelect,    "select",   false,  false,   InMulti::kRefuse,   OnPin::kSelect},
  LocalRule{L::kHello,     "hello",    false,  false,   InMulti::kRefuse,   OnPin::kSameProtocol},
  LocalRule{L::kAuth,      "auth",     false,  false,   InMulti::kRefuse,   OnPin::kLocal},
  LocalRule{L::kClient,    "client",   false,  false,   InMulti::kRefuse,   OnPin::kClient},
  LocalRule{L::kFunnel,    "funnel",   false,  false,   InMulti::kRefuse,   OnPin::kLocal},
  LocalRule{L::kMulti,     "multi",    false,  false,   InMulti::kNested,   OnPin::kEnterMulti},
  LocalRule{L::kExec,      "exec",     false,  false,   InMulti::kExec,     OnPin::kLeaveMulti},
  LocalRule{L::kDiscard,   "discard",  false,  false,   InMulti::kDiscard,  OnPin::kLeaveMulti},
  LocalRule{L::kWatch,     "watch",    false,  false,   InMulti::kWatch,    OnPin::kForward},
  // UNWATCH is harmless in the block: the shared link watches nothing.
  LocalRule{L::kUnwatch,   "unwatch",  false,  false,   InMulti::kQueue,    OnPin::kLeaveMulti},
  LocalRule{L::kPubsub,    "subscribe",false,  true,    InMulti::kRefuse,   OnPin::kLocal},
  LocalRule{L::kAclWhoami, "acl|whoami",false, false,   InMulti::kRefuse,   OnPin::kLocal},
  LocalRule{L::kMonitor,   "monitor",  false,  false,   InMulti::kRefuse,   OnPin::kMonitor},
};
static_assert(std::ranges::all_of(kLocalRules, [](const LocalRule& row) {
  return &row - kLocalRules.data() == static_cast<std::ptrdiff_t>(row.local);
}) && kLocalRules.size() == kLocalCommands, "one LocalRule per LocalCommand, in the enum's order");

using S = ClientSub;
constexpr std::array kClientSubRules = {
  //            name            sub               argc  on a pinned link
  ClientSubRule{"",             S::kNone,         0,    ClientOnPin::kLocal},
  ClientSubRule{"ID",           S::kId,           2,    ClientOnPin::kLocal},
  ClientSubRule{"GETNAME",      S::kGetname,      2,    ClientOnPin::kLocal},
  ClientSubRule{"SETNAME",      S::kSetname,      3,    ClientOnPin::kLocal},
  ClientSubRule{"SETINFO",      S::kSetinfo,      4,    ClientOnPin::kLocal},
  ClientSubRule{"INFO",         S::kInfo,         2,    ClientOnPin::kLocal},
  ClientSubRule{"LIST",         S::kList,         0,    ClientOnPin::kLocal},
  ClientSubRule{"GETREDIR",     S::kGetredir,     2,    ClientOnPin::kForward},
  ClientSubRule{"TRACKINGINFO", S::kTrackinginfo, 2,    ClientOnPin::kForward},
  ClientSubRule{"REPLY",        S::kReply,        3,    ClientOnPin::kLocal},
  ClientSubRule{"NO-EVICT",     S::kNoEvict,      0,    ClientOnPin::kLocal},
  ClientSubRule{"CACHING",      S::kCaching,      0,    ClientOnPin::kForward},
  ClientSubRule{"HELP",         S::kHelp,         0,    ClientOnPin::kLocal},
  ClientSubRule{"TRACKING",     S::kTracking,     0,    ClientOnPin::kTracking},
  // Server-wide in Redis too: out of band to the primary (routing/pause_gate.hpp), where the
  // command policy allows them (the default deny list does not).
  ClientSubRule{"PAUSE",        S::kPause,        0,    ClientOnPin::kLocal},
  ClientSubRule{"UNPAUSE",      S::kUnpause,      2,    ClientOnPin::kLocal},
  // Refused: on the backend they would act on Funnel's shared links.
  ClientSubRule{"KILL",         S::kRefused,      0,    ClientOnPin::kLocal},
  ClientSubRule{"UNBLOCK",      S::kRefused,      0,    ClientOnPin::kLocal},
  ClientSubRule{"NO-TOUCH",     S::kRefused,      0,    ClientOnPin::kLocal},
};
// clang-format on

}  // namespace

const LocalRule& local_rule(LocalCommand local) {
  return kLocalRules[static_cast<std::size_t>(local)];
}

std::span<const LocalRule> local_rules() {
  return kLocalRules;
}

const ClientSubRule& client_sub_rule(std::string_view name) {
  for (const ClientSubRule& row : kClientSubRules) {
    if (!row.name.empty() && command::iequals(name, row.name)) return row;
  }
  return kClientSubRules[0];
}

std::span<const ClientSubRule> client_sub_rules() {
  return kClientSubRules;
}

}  // namespace funnel::plan
