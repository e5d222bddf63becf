// Endpoint resolution and the loopback rule (see endpoint.hpp).
#include "storm/endpoint.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "storm/host_port.hpp"

namespace funnel::storm {

Endpoint resolve_endpoint(std::string_view flag, std::string_view text, bool allow_remote) {
  namespace asio = boost::asio;
  const auto parts = split_host_port(text);
  if (!parts) {
    throw std::runtime_error(fmt::format(
        "--{} '{}' is not HOST:PORT (for example 127.0.0.1:6379 or [::1]:6379)", flag, text));
  }
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(parts->host, std::to_string(parts->port), ec);
  if (ec || results.empty()) {
    throw std::runtime_error(fmt::format("--{} '{}' does not resolve: {}", flag, text,
                                         ec ? ec.message() : "no address"));
  }
  const auto endpoint = results.begin()->endpoint();
  if (!allow_remote && !endpoint.address().is_loopback()) {
    throw std::runtime_error(fmt::format(
        "--{} '{}' resolves to {}, which is not this machine: funnel-storm sends heavy load and "
        "only targets loopback addresses unless you add --allow-remote (read docs/storm.md first; "
        "never point it at a shared or production system)",
        flag, text, endpoint.address().to_string()));
  }
  return Endpoint{std::string(text), endpoint};
}

}  // namespace funnel::storm
