// A listening socket of the test's own on a free loopback port, which nothing should connect to:
// a connection to it means Funnel followed a forged redirect (a script's `MOVED`/`ASK` naming
// it). Never accepts; the pending connection is seen with poll.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace funnel::test {

class TrapListener {
 public:
  TrapListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~TrapListener() { ::close(fd_); }
  TrapListener(const TrapListener&) = delete;
  TrapListener& operator=(const TrapListener&) = delete;
  std::uint16_t port() const { return port_; }
  bool connected() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace funnel::test
