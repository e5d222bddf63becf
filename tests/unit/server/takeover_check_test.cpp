// What a new process checks before serving on the sockets a takeover handed it
// (server/takeover.hpp): each is a listening socket bound where this configuration says, and
// there is a worker for each client listener. Real sockets, no second process.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "server/takeover.hpp"

namespace funnel::server {
namespace {

// A socket bound on a free loopback port; listening unless told otherwise.
int bound_socket(std::uint16_t& port, bool listening = true) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  if (listening) {
    EXPECT_EQ(::listen(fd, 4), 0);
  }
  socklen_t size = sizeof address;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  port = ntohs(address.sin_port);
  return fd;
}

config::Config listening_on(std::uint16_t port, unsigned workers) {
  config::Config config;
  config.server.listen = {"127.0.0.1", port};
  config.server.workers = workers;
  return config;
}

TEST(TakeoverCheckTest, SocketsBoundWhereTheConfigurationSaysAreAccepted) {
  std::uint16_t port = 0;
  ListenerSet sockets;
  sockets.client.push_back(bound_socket(port));
  EXPECT_EQ(listener_mismatch(sockets, listening_on(port, 1)), "");
  EXPECT_EQ(listener_mismatch(sockets, listening_on(port, 4)), "");  // more workers: fine
}

TEST(TakeoverCheckTest, AnotherAddressIsRefusedNamingBoth) {
  std::uint16_t port = 0;
  ListenerSet sockets;
  sockets.client.push_back(bound_socket(port));
  const std::string why = listener_mismatch(sockets, listening_on(port + 1, 1));
  EXPECT_NE(why.find("listens on 127.0.0.1:" + std::to_string(port)), std::string::npos) << why;
  EXPECT_NE(why.find("a takeover keeps the addresses"), std::string::npos) << why;
}

TEST(TakeoverCheckTest, FewerWorkersThanListenersIsRefused) {
  std::uint16_t port = 0;
  ListenerSet sockets;
  sockets.client.push_back(bound_socket(port));
  std::uint16_t second = 0;
  sockets.client.push_back(bound_socket(second));
  const std::string why = listener_mismatch(sockets, listening_on(port, 1));
  EXPECT_NE(why.find("give --workers 2 or more"), std::string::npos) << why;
}

TEST(TakeoverCheckTest, ASocketThatDoesNotListenIsRefused) {
  std::uint16_t port = 0;
  ListenerSet sockets;
  sockets.client.push_back(bound_socket(port, /*listening=*/false));
  EXPECT_NE(listener_mismatch(sockets, listening_on(port, 1)), "");
}

TEST(TakeoverCheckTest, AKindTheConfigurationLacksIsRefused) {
  std::uint16_t port = 0;
  std::uint16_t tls_port = 0;
  ListenerSet sockets;
  sockets.client.push_back(bound_socket(port));
  sockets.tls.push_back(bound_socket(tls_port));
  const std::string why = listener_mismatch(sockets, listening_on(port, 1));
  EXPECT_NE(why.find("this configuration has no tls.listen"), std::string::npos) << why;
  config::Config with_tls = listening_on(port, 1);
  with_tls.tls.listen = config::HostPort{"127.0.0.1", tls_port};
  EXPECT_EQ(listener_mismatch(sockets, with_tls), "");
}

TEST(TakeoverCheckTest, NoClientListenerIsRefused) {
  ListenerSet sockets;
  EXPECT_NE(listener_mismatch(sockets, listening_on(6380, 1)), "");
}

TEST(TakeoverCheckTest, TheSocketPathNamesThePort) {
  config::Config config = listening_on(6380, 1);
  EXPECT_EQ(takeover_socket_path(config), "/run/funnel/takeover-6380.sock");
  config.server.takeover_socket = "/tmp/t.sock";
  EXPECT_EQ(takeover_socket_path(config), "/tmp/t.sock");
  config.server.takeover_socket = "";
  EXPECT_EQ(takeover_socket_path(config), "");
}

}  // namespace
}  // namespace funnel::server
