// set_inherited_client_options() (see client_socket_options.hpp).
#include "server/client_socket_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

namespace funnel::server {

bool set_inherited_client_options(int listen_fd, std::uint32_t keepalive_idle_s) {
  const int on = 1;
  bool ok = ::setsockopt(listen_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0;
  if (keepalive_idle_s == 0) return ok;
  const int idle = static_cast<int>(keepalive_idle_s);
  const int interval = std::max(1, idle / 4);
  const int count = 4;
  ok = ok && ::setsockopt(listen_fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0;
  ok = ok && ::setsockopt(listen_fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) == 0;
  ok = ok && ::setsockopt(listen_fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) == 0;
  ok = ok && ::setsockopt(listen_fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count) == 0;
  return ok;
}

}  // namespace funnel::server
