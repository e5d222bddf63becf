// Socket options every client connection needs (TCP_NODELAY, TCP keepalive), set once on the
// listening socket: Linux copies them to each accepted socket, which saves five setsockopt calls
// per connection (of ~18 system calls in all when every request opens a new connection, the
// serverless pattern; bench/hot-path-cost.sh reconnect).
#pragma once

#include <cstdint>

namespace funnel::server {

// keepalive_idle_s: seconds of silence before the first probe (server.tcp_keepalive_s); 0 leaves
// keepalive off. Probes follow every idle/4 seconds (at least 1), four of them.
// Returns false if the kernel refused an option (errno says which).
bool set_inherited_client_options(int listen_fd, std::uint32_t keepalive_idle_s);

}  // namespace funnel::server
