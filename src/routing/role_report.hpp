// What a node says about itself in its ROLE reply: the primary's replication offset and its
// replicas, or a replica's primary, link state and offset. No I/O: the health checker sends ROLE
// and hands the parsed reply here. Verified against redis-server 7.0:
//   primary: ["master", 50, [["127.0.0.1", "7402", "50"], ...]]   (replica fields as strings)
//   replica: ["slave", "127.0.0.1", 7401, "connected", 50]         (state: connect, connecting,
//            handshake, sync, connected; offset -1 before the first sync)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resp/value.hpp"

namespace funnel::routing {

enum class Role : std::uint8_t { kUnknown, kPrimary, kReplica, kSentinel };

struct ReplicaEntry {  // one row of a primary's replica list
  std::string host;
  std::uint16_t port = 0;
  std::int64_t offset = 0;
};

struct RoleReport {
  Role role = Role::kUnknown;
  std::int64_t offset = -1;            // primary: master_repl_offset; replica: its own offset
  std::vector<ReplicaEntry> replicas;  // primary only
  std::string primary_host;            // replica only
  std::uint16_t primary_port = 0;      // replica only
  std::string link_state;              // replica only: "connected", "sync", ...
  bool link_up() const { return role == Role::kReplica && link_state == "connected"; }
};

// Parses a ROLE reply (RESP2 or RESP3). On a malformed reply returns nullopt and says why.
std::optional<RoleReport> parse_role(const resp::Value& reply, std::string& error);

}  // namespace funnel::routing
