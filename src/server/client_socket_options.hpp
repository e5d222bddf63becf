// Listening sockets for clients (the plain listener and the TLS one), and the socket options every
// client connection needs (TCP_NODELAY, TCP keepalive), set once on the listening socket: Linux
// copies them to each accepted socket, which saves five setsockopt calls per connection (of ~18
// system calls in all when every request opens a new connection, the serverless pattern;
// bench/hot-path-cost.sh reconnect).
#pragma once

#include <cstdint>
#include <string_view>

#include "config/config.hpp"
#include "net/asio_types.hpp"

namespace funnel::server {

using Acceptor = asio::basic_socket_acceptor<asio::ip::tcp, Executor>;

// keepalive_idle_s: seconds of silence before the first probe (server.tcp_keepalive_s); 0 leaves
// keepalive off. Probes follow every idle/4 seconds (at least 1), four of them.
// Returns false if the kernel refused an option (errno says which).
bool set_inherited_client_options(int listen_fd, std::uint32_t keepalive_idle_s);

// The backlog each listener asks for; the kernel gives min(this, net.core.somaxconn).
constexpr int kListenBacklog = 65535;
// net.core.somaxconn (Linux), or -1 if it cannot be read.
int listen_backlog_cap();

// Opens, binds (SO_REUSEPORT: one listener per worker) and listens, non-blocking, with the client
// options above. Throws std::runtime_error naming `key` (e.g. "server.listen") and `flag`.
void open_client_listener(Acceptor& acceptor, const config::HostPort& listen, std::string_view key,
                          std::string_view flag, std::uint32_t keepalive_idle_s);

}  // namespace funnel::server
