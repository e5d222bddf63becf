// What Sentinel says, parsed. No I/O. Shapes verified against redis-sentinel 7.0.15:
//   SENTINEL get-master-addr-by-name <name>  ->  ["127.0.0.1", "6379"] (bulk strings), or null
//                                                for a name it does not monitor
//   SENTINEL replicas <name>  ->  one map (RESP3) / flat key-value array (RESP2) per replica with
//                                 "ip", "port", "flags" ("slave", "s_down,slave,disconnected",
//                                 ...) among 20-odd fields; "-ERR No such master with that name"
//   events (SUBSCRIBE): +switch-master "<name> <old-ip> <old-port> <new-ip> <new-port>";
//     +sdown/-sdown/+odown/+slave "<type> <inst-name> <ip> <port> @ <master> <ip> <port>", or
//     "master <name> <ip> <port>" when the instance is the master itself; the failover's own
//     events (+try-failover, +selected-slave, +promoted-slave, ...: routing/failover_hold.hpp)
//     have the same shapes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "resp/value.hpp"
#include "routing/failover_hold.hpp"

namespace funnel::topology {

// nullopt and `error` for an error reply, null (unknown name) or a malformed reply.
std::optional<config::HostPort> parse_master_address(const resp::Value& reply, std::string& error);

struct SentinelReplicas {
  std::vector<config::HostPort> usable;  // flags contain none of s_down, o_down, disconnected
  // Only "disconnected": Sentinel's own link to it is not up. Right after +switch-master every
  // replica is listed so for 100-200 ms (Sentinel's fresh entries for the new master), so these
  // are not new nodes, but known nodes keep their place and our own checks judge them.
  std::vector<config::HostPort> disconnected;
};

// Replicas flagged s_down or o_down are left out.
std::optional<SentinelReplicas> parse_sentinel_replicas(const resp::Value& reply,
                                                        std::string& error);

// The channels the monitor subscribes to on each sentinel.
const std::vector<std::string>& sentinel_event_channels();

struct SentinelEvent {
  bool about_master = false;                    // the event concerns `master_name`
  std::optional<config::HostPort> new_primary;  // +switch-master only
  // What it says about a failover of the master (kNone for a replica's +sdown and the like), and
  // the master's address it concerns (+switch-master: the old one), so that a late event about a
  // primary already replaced is not taken for a new failover.
  routing::FailoverSignal signal = routing::FailoverSignal::kNone;
  std::optional<config::HostPort> master;
};

// Parses one event message; about_master is false for other masters or unparseable payloads.
SentinelEvent parse_sentinel_event(std::string_view channel, std::string_view payload,
                                   std::string_view master_name);

}  // namespace funnel::topology
