// monitoring_action: Redis 7.0's processCommand for a client flagged CLIENT_SLAVE|CLIENT_MONITOR.
#include "client/monitor_mode.hpp"

#include <algorithm>
#include <array>

namespace funnel::client {
namespace {

// Redis 7.0's CMD_MAY_REPLICATE commands that are neither reads nor writes. COMMAND hides the
// flag on purpose (server.c), so the table loaded from the backend cannot say it.
constexpr std::array<std::string_view, 5> kMayReplicate = {"eval", "evalsha", "fcall", "publish",
                                                           "spublish"};

bool may_replicate(const command::CommandSpec& spec) {
  return spec.has(command::Flag::kMayReplicate) ||
         std::ranges::find(kMayReplicate, std::string_view(spec.name)) != kMayReplicate.end();
}

}  // namespace

MonitorAction monitoring_action(const command::Classification& cls) {
  if (cls.local == command::LocalCommand::kReset) return MonitorAction::kEnd;
  if (cls.local == command::LocalCommand::kMonitor) return MonitorAction::kIgnore;
  if (cls.spec == nullptr) return MonitorAction::kServe;
  using command::Flag;
  if (cls.spec->has(Flag::kReadonly) || cls.spec->has(Flag::kWrite) || may_replicate(*cls.spec)) {
    return MonitorAction::kRefuse;
  }
  return MonitorAction::kServe;
}

}  // namespace funnel::client
