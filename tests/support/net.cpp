// Test fixtures (funnel::test): loopback ports and sockets, see net.hpp.
#include "support/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace funnel::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

namespace {

// The kernel's choice for bind(127.0.0.1:0): a port free this instant.
std::uint16_t kernel_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("free_port: socket");
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    throw_errno("free_port: bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Ports any test process of this user handed out in the last kQuarantine are not handed out
// again. A test that kills a redis-server leaves its Sentinel, its Funnel or its cluster
// remembering that address for the rest of the test; a concurrent test (ctest -j) whose node got
// the same port from the kernel would be reconfigured (SLAVEOF from a foreign Sentinel) or
// written to by them. The registry is a text file of "port seconds" lines under flock.
constexpr std::chrono::seconds kQuarantine{600};

class PortRegistry {
 public:
  PortRegistry() : path_("/tmp/funnel-test-ports-" + std::to_string(::getuid())) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~PortRegistry() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  PortRegistry(const PortRegistry&) = delete;
  PortRegistry& operator=(const PortRegistry&) = delete;

  // A kernel-chosen free port that no test took recently, recorded as taken now.
  std::uint16_t take() {
    if (fd_ < 0) return kernel_free_port();  // no registry: the kernel's choice as before
    const long long now = seconds_now();
    std::unordered_map<std::uint16_t, long long> recent = read_recent(now);
    std::uint16_t port = kernel_free_port();
    for (int i = 0; i < 100 && recent.contains(port); ++i) port = kernel_free_port();
    recent[port] = now;
    write_all(recent);
    return port;
  }

 private:
  static long long seconds_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::unordered_map<std::uint16_t, long long> read_recent(long long now) const {
    std::unordered_map<std::uint16_t, long long> recent;
    std::ifstream in(path_);
    unsigned port = 0;
    long long at = 0;
    while (in >> port >> at) {
      if (port > 0 && port < 65536 && now - at < kQuarantine.count()) {
        recent[static_cast<std::uint16_t>(port)] = at;
      }
    }
    return recent;
  }
  void write_all(const std::unordered_map<std::uint16_t, long long>& recent) const {
    std::ostringstream out;
    for (const auto& [port, at] : recent) out << port << ' ' << at << '\n';
    const std::string text = out.str();
    if (::ftruncate(fd_, 0) != 0) return;
    ::pwrite(fd_, text.data(), text.size(), 0);
  }

  std::string path_;
  int fd_ = -1;
};

}  // namespace

std::uint16_t free_port() {
  PortRegistry registry;
  return registry.take();
}

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

int connect_loopback_from(const char* source, std::uint16_t port, bool nonblocking) {
  const int fd =
      ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to = loopback(port);
  // The source port is chosen at connect (with the destination known), as without bind.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

void close_with_reset(int fd) {
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
}

bool port_accepts(std::uint16_t port) {
  int fd = connect_loopback(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool answers_ping(std::uint16_t port, std::chrono::milliseconds timeout) {
  int fd = connect_loopback(port);
  if (fd < 0) return false;
  static constexpr char kPing[] = "*1\r\n$4\r\nPING\r\n";
  bool ok = ::send(fd, kPing, sizeof(kPing) - 1, MSG_NOSIGNAL) == sizeof(kPing) - 1;
  std::string reply;
  while (ok && reply.find("\r\n") == std::string::npos) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) break;
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply.starts_with("+PONG\r\n") || reply.starts_with("-NOAUTH ");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace funnel::test
