// What workers know about the backend, published whole by the control thread and swapped between
// batches: where the primary is (resolved once per interval, never per client), which Redis it
// runs, and its command table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "command/command_table.hpp"

namespace funnel::backend {

struct BackendSnapshot {
  std::uint64_t epoch = 0;                                // bumps when links must be replaced
  std::string address;                                    // "host:port" as configured, for messages
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // resolved; empty when unresolvable
  std::string resolve_error;                              // why endpoints is empty
  std::string redis_version;  // e.g. "7.0.15"; empty until first contact
  std::shared_ptr<const command::CommandTable> commands;
};

using SnapshotPtr = std::shared_ptr<const BackendSnapshot>;

}  // namespace funnel::backend
