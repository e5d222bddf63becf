// MONITOR through Funnel: what a monitoring client's later requests do, as Redis 7.0 treats a
// client in monitor mode (checked on redis-server 7.0.15). No I/O. The monitor lines themselves
// come from the client's own pinned link (client/session_monitor.cpp); its other requests are
// served like anyone's, on shared links, except that Redis marks a monitor as a replica, and a
// replica may not touch the keyspace. plan_monitoring (planner_rules.hpp) applies this in the
// planner's order.
#pragma once

#include <cstdint>
#include <string_view>

#include "command/classify.hpp"

namespace funnel::plan {

enum class MonitorAction : std::uint8_t {
  kServe,   // as for any client (PING, ECHO, INFO, CLIENT ..., SUBSCRIBE, HELLO, QUIT ...)
  kEnd,     // RESET: monitoring ends (the link is closed), then RESET runs as usual
  kIgnore,  // MONITOR again: Redis ignores it and sends no reply
  kRefuse,  // reads, writes and commands that may replicate (EVAL, PUBLISH): kMonitorRefusal
};

// Redis's text for the refused commands (rejectCommandFormat; after '-', without CRLF).
inline constexpr std::string_view kMonitorRefusal = "ERR Replica can't interact with the keyspace";

// For a request that classify() did not reject (unknown commands and wrong arity get their own
// errors first, and the ACL's NOPERM comes before kRefuse, as in Redis's processCommand).
MonitorAction monitoring_action(const command::Classification& cls);

}  // namespace funnel::plan
