// TcpForwarder: one thread accepts, one thread per connection relays both directions with poll().
#include "tcp_forwarder.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/net.hpp"

namespace funnel::test {

TcpForwarder::TcpForwarder(std::uint16_t target_port) : target_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    throw_errno("forwarder bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) throw_errno("forwarder pipe");
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpForwarder::~TcpForwarder() {
  stopping_ = true;
  (void)!::write(wake_pipe_[1], "x", 1);
  acceptor_.join();
  std::vector<std::thread> relays;
  {
    std::lock_guard lock(mutex_);
    relays.swap(relays_);
  }
  for (auto& relay : relays) relay.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

void TcpForwarder::accept_loop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, 1000) <= 0 || (fds[1].revents & POLLIN)) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int server = connect_loopback(target_.load());
    if (server < 0) {
      ::close(client);
      continue;
    }
    ++accepted_;
    std::lock_guard lock(mutex_);
    relays_.emplace_back([this, client, server] { relay(client, server); });
  }
}

void TcpForwarder::relay(int client_fd, int server_fd) {
  char buffer[65536];
  while (!stopping_) {
    // Paused: watch only the wake pipe, briefly, so a resume takes effect within a millisecond.
    const bool paused = paused_.load();
    pollfd fds[3] = {{client_fd, paused ? short{0} : short{POLLIN}, 0},
                     {server_fd, paused ? short{0} : short{POLLIN}, 0},
                     {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 3, paused ? 1 : 1000) <= 0) continue;
    if (fds[2].revents & POLLIN) break;
    bool closed = false;
    for (int i = 0; i < 2 && !closed; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        closed = true;
        break;
      }
      const int to = i == 0 ? server_fd : client_fd;
      for (ssize_t sent = 0; sent < n;) {
        const ssize_t w = ::write(to, buffer + sent, static_cast<std::size_t>(n - sent));
        if (w <= 0) {
          closed = true;
          break;
        }
        sent += w;
      }
    }
    if (closed) break;
  }
  ::close(client_fd);
  ::close(server_fd);
}

}  // namespace funnel::test
