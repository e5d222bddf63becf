// Client listeners and the options their accepted sockets inherit (see client_socket_options.hpp).
#include "server/client_socket_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace funnel::server {
namespace {
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
}  // namespace

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

void open_client_listener(Acceptor& acceptor, const config::HostPort& listen, std::string_view key,
                          std::string_view flag, std::uint32_t keepalive_idle_s) {
  const std::string where = std::string(key) + " = " + listen.to_string();
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(listen.host, ec);
  if (ec) throw std::runtime_error(where + ": not an IP address (use e.g. 127.0.0.1 or 0.0.0.0)");
  const asio::ip::tcp::endpoint endpoint(address, listen.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.set_option(ReusePort(true));
  acceptor.bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message() +
                             " (is another process using the port? choose another with " +
                             std::string(flag) + ")");
  }
  if (!set_inherited_client_options(acceptor.native_handle(), keepalive_idle_s)) {
    throw std::runtime_error("cannot set TCP_NODELAY/keepalive on the listening socket for " +
                             where + ": " + std::strerror(errno));
  }
  // The kernel caps the backlog at net.core.somaxconn; asking for more takes whatever it allows
  // (accept smoothing leaves bursts waiting there: server.accept_rate_per_s).
  acceptor.listen(kListenBacklog);
  acceptor.non_blocking(true);
}

int listen_backlog_cap() {
  std::ifstream file("/proc/sys/net/core/somaxconn");
  int cap = 0;
  return file >> cap ? cap : -1;
}

}  // namespace funnel::server
