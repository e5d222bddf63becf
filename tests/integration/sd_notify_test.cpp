// Funnel under systemd's Type=notify (issue #17, item 5): a fake NOTIFY_SOCKET stands in for
// PID 1 and receives READY=1 once the listener accepts, RELOADING=1 (with MONOTONIC_USEC) then
// READY=1 around SIGHUP, and STOPPING=1 at SIGTERM. FUNNEL_INSTALLED_BINARY runs the same test
// against an installed binary (the package stage of scripts/test.sh runs /usr/bin/funnel).
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "harness.hpp"

namespace funnel::test {
namespace {

// A datagram socket bound where $NOTIFY_SOCKET will point: a file path, or an abstract name
// written "@name" (systemd passes either).
class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(const std::string& name) : name_(name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    socklen_t length = offsetof(sockaddr_un, sun_path) + name.size();
    if (name[0] == '@') address.sun_path[0] = '\0';
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      throw std::runtime_error("cannot bind the fake NOTIFY_SOCKET " + name);
    }
  }
  ~FakeNotifySocket() {
    ::close(fd_);
    if (name_[0] == '/') ::unlink(name_.c_str());
  }
  // The next datagram, or "" if none comes within `timeout`.
  std::string receive(std::chrono::milliseconds timeout = 20s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  std::string name_;
  int fd_ = -1;
};

std::string funnel_binary() {
  const char* installed = std::getenv("FUNNEL_INSTALLED_BINARY");
  return installed != nullptr && installed[0] != '\0' ? installed : FunnelProcess::binary_path();
}

// NOTIFY_SOCKET set only while the child starts (the child keeps its copy).
std::unique_ptr<FunnelProcess> start_notified(const std::string& socket_name,
                                              std::uint16_t redis_port) {
  ::setenv("NOTIFY_SOCKET", socket_name.c_str(), 1);
  auto funnel =
      FunnelProcess::start_binary(funnel_binary(), {"--backend", backend_arg(redis_port)});
  ::unsetenv("NOTIFY_SOCKET");
  return funnel;
}

TEST(SdNotifyTest, ReadyReloadingStoppingOnAPathSocket) {
  auto redis = RedisServer::start();
  TempDir dir("funnel-notify");
  FakeNotifySocket notify(dir.file("notify"));
  auto funnel = start_notified(dir.file("notify"), redis->port());

  // READY=1 is sent after the listener is bound (FunnelProcess::start has connected already,
  // so this checks READY came and that nothing was sent before it).
  EXPECT_EQ(notify.receive(), "READY=1");
  RespConnection client(funnel->port());
  EXPECT_EQ(client.command({"PING"}).str, "PONG");

  funnel->signal(SIGHUP);
  const std::string reloading = notify.receive();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  const std::string usec = reloading.substr(reloading.find('=', 12) + 1);
  ASSERT_FALSE(usec.empty());
  EXPECT_EQ(usec.find_first_not_of("0123456789"), std::string::npos) << usec;
  EXPECT_EQ(notify.receive(), "READY=1");
  EXPECT_EQ(client.command({"PING"}).str, "PONG");  // still serving after the reload

  funnel->signal(SIGTERM);
  EXPECT_EQ(notify.receive(), "STOPPING=1");
  EXPECT_EQ(funnel->stop(), 0);
}

TEST(SdNotifyTest, ReadyOnAnAbstractSocket) {
  auto redis = RedisServer::start();
  const std::string name = "@funnel-notify-test-" + std::to_string(::getpid());
  FakeNotifySocket notify(name);
  auto funnel = start_notified(name, redis->port());
  EXPECT_EQ(notify.receive(), "READY=1");
  funnel->signal(SIGTERM);
  EXPECT_EQ(notify.receive(), "STOPPING=1");
}

// Without NOTIFY_SOCKET (not under systemd) nothing changes: the proxy starts and serves.
TEST(SdNotifyTest, NoNotifySocketServesAsBefore) {
  auto redis = RedisServer::start();
  ::unsetenv("NOTIFY_SOCKET");
  auto funnel =
      FunnelProcess::start_binary(funnel_binary(), {"--backend", backend_arg(redis->port())});
  RespConnection client(funnel->port());
  EXPECT_EQ(client.command({"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(client.command({"GET", "k"}).str, "v");
}

}  // namespace
}  // namespace funnel::test
