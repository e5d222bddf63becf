// The local-command table: the handler that produces each locally answered reply, one row per
// plan::LocalRule (plan/local_rules.cpp, which holds the rows' properties: before AUTH, RESP2
// subscribe mode, inside MULTI, on a pinned link) and one per CLIENT subcommand. The planner
// decides which row runs; ClientSession::handle_local runs it.
#include <array>

#include "client/client_session.hpp"

namespace funnel::client {
namespace {

using command::LocalCommand;
using plan::ClientSub;

template <class Key, class Handler>
struct HandlerRow {
  Key key;
  Handler handler;
};

template <class Row, std::size_t N>
constexpr bool in_enum_order(const std::array<Row, N>& rows) {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(rows[i].key) != i) return false;
  }
  return true;
}

}  // namespace

ClientSession::LocalHandler ClientSession::local_handler(LocalCommand local) {
  using Row = HandlerRow<LocalCommand, LocalHandler>;
  // Transaction commands and QUIT are plan actions (kBeginMulti, kExec, kClose, ...), not replies.
  static constexpr std::array kRows = {
      Row{LocalCommand::kNone, &ClientSession::cmd_unreachable},
      Row{LocalCommand::kPing, &ClientSession::cmd_ping},
      Row{LocalCommand::kEcho, &ClientSession::cmd_echo},
      Row{LocalCommand::kQuit, &ClientSession::cmd_unreachable},
      Row{LocalCommand::kReset, &ClientSession::cmd_reset},
      Row{LocalCommand::kSelect, &ClientSession::cmd_select},
      Row{LocalCommand::kHello, &ClientSession::cmd_hello},
      Row{LocalCommand::kAuth, &ClientSession::cmd_auth},
      Row{LocalCommand::kClient, &ClientSession::cmd_client},
      Row{LocalCommand::kFunnel, &ClientSession::cmd_funnel},
      Row{LocalCommand::kMulti, &ClientSession::cmd_unreachable},
      Row{LocalCommand::kExec, &ClientSession::cmd_unreachable},
      Row{LocalCommand::kDiscard, &ClientSession::cmd_unreachable},
      Row{LocalCommand::kWatch, &ClientSession::cmd_unreachable},
      Row{LocalCommand::kUnwatch, &ClientSession::cmd_unwatch},
      Row{LocalCommand::kPubsub, &ClientSession::cmd_pubsub},
      Row{LocalCommand::kAclWhoami, &ClientSession::cmd_acl_whoami},
      Row{LocalCommand::kMonitor, &ClientSession::cmd_unreachable},  // a lease, then forwarded
  };
  static_assert(in_enum_order(kRows) && kRows.size() == plan::kLocalCommands,
                "one handler per LocalCommand, in the enum's order");
  return kRows[static_cast<std::size_t>(local)].handler;
}

ClientSession::LocalHandler ClientSession::client_handler(ClientSub sub) {
  using Row = HandlerRow<ClientSub, LocalHandler>;
  // NO-EVICT, CACHING, TRACKING and the refused ones are answered by the planner's plan.
  static constexpr std::array kRows = {
      Row{ClientSub::kNone, &ClientSession::cmd_unreachable},
      Row{ClientSub::kId, &ClientSession::client_id},
      Row{ClientSub::kGetname, &ClientSession::client_getname},
      Row{ClientSub::kSetname, &ClientSession::client_setname},
      Row{ClientSub::kSetinfo, &ClientSession::client_setinfo},
      Row{ClientSub::kInfo, &ClientSession::client_info},
      Row{ClientSub::kList, &ClientSession::client_list},
      Row{ClientSub::kGetredir, &ClientSession::client_getredir},
      Row{ClientSub::kTrackinginfo, &ClientSession::client_trackinginfo},
      Row{ClientSub::kReply, &ClientSession::client_reply},
      Row{ClientSub::kNoEvict, &ClientSession::cmd_unreachable},
      Row{ClientSub::kCaching, &ClientSession::cmd_unreachable},
      Row{ClientSub::kHelp, &ClientSession::client_help},
      Row{ClientSub::kTracking, &ClientSession::cmd_unreachable},
      Row{ClientSub::kPause, &ClientSession::cmd_unreachable},  // out of band (the plan)
      Row{ClientSub::kUnpause, &ClientSession::cmd_unreachable},
      Row{ClientSub::kRefused, &ClientSession::cmd_unreachable},
  };
  static_assert(in_enum_order(kRows) && kRows.size() == static_cast<std::size_t>(ClientSub::kCount),
                "one handler per ClientSub, in the enum's order");
  return kRows[static_cast<std::size_t>(sub)].handler;
}

}  // namespace funnel::client
