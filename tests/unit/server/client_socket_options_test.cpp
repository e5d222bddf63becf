// Options set on the listening socket reach every accepted client socket (Linux copies them), so
// sessions need no setsockopt of their own.
#include "server/client_socket_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace funnel::server {
namespace {

int option(int fd, int level, int name) {
  int value = -1;
  socklen_t size = sizeof value;
  EXPECT_EQ(::getsockopt(fd, level, name, &value, &size), 0);
  return value;
}

// A listening socket on a free loopback port with the options applied, and one accepted peer.
struct AcceptedPair {
  explicit AcceptedPair(std::uint32_t keepalive_s) {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_TRUE(set_inherited_client_options(listener, keepalive_s));
    EXPECT_EQ(::listen(listener, 4), 0);
    socklen_t size = sizeof address;
    EXPECT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size), 0);
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    accepted = ::accept(listener, nullptr, nullptr);
    EXPECT_GE(accepted, 0);
  }
  ~AcceptedPair() {
    ::close(accepted);
    ::close(client);
    ::close(listener);
  }
  int listener = -1;
  int client = -1;
  int accepted = -1;
};

TEST(ClientSocketOptions, AcceptedSocketsInheritNoDelayAndKeepalive) {
  AcceptedPair pair(60);
  EXPECT_EQ(option(pair.accepted, IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(option(pair.accepted, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(option(pair.accepted, IPPROTO_TCP, TCP_KEEPIDLE), 60);
  EXPECT_EQ(option(pair.accepted, IPPROTO_TCP, TCP_KEEPINTVL), 15);
  EXPECT_EQ(option(pair.accepted, IPPROTO_TCP, TCP_KEEPCNT), 4);
}

TEST(ClientSocketOptions, ZeroKeepaliveLeavesItOff) {
  AcceptedPair pair(0);
  EXPECT_EQ(option(pair.accepted, IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(option(pair.accepted, SOL_SOCKET, SO_KEEPALIVE), 0);
}

}  // namespace
}  // namespace funnel::server
