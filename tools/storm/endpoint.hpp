// Resolving HOST:PORT arguments and the loopback rule: funnel-storm refuses to send load
// anywhere but this machine unless --allow-remote is given.
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

namespace funnel::storm {

struct Endpoint {
  std::string text;  // as the user wrote it
  boost::asio::ip::tcp::endpoint endpoint;
};

// Resolves text (HOST:PORT) to its first address. Throws std::runtime_error naming the flag if
// it is malformed, does not resolve, or is not a loopback address while allow_remote is false.
Endpoint resolve_endpoint(std::string_view flag, std::string_view text, bool allow_remote);

}  // namespace funnel::storm
