// HOST:PORT arguments (--backend, --via, --target): split and checked here, resolved and
// checked for loopback in endpoint.hpp. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace funnel::storm {

struct HostPort {
  std::string host;  // without brackets for IPv6 ("::1")
  std::uint16_t port = 0;
};

// "127.0.0.1:6379", "localhost:6379", "[::1]:6379". nullopt if malformed or the port is 0.
std::optional<HostPort> split_host_port(std::string_view text);

}  // namespace funnel::storm
