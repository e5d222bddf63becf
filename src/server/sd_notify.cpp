// sd_notify's datagram (see sd_notify.hpp): the protocol is one sendto() of the text.
#include "server/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace funnel::server {

namespace {

// Fills `address` from $NOTIFY_SOCKET; returns the length to pass to sendto(), 0 if unusable.
socklen_t notify_address(const char* name, sockaddr_un& address) {
  const std::size_t length = std::strlen(name);
  if (length < 2 || length >= sizeof(address.sun_path)) return 0;
  if (name[0] != '/' && name[0] != '@') return 0;
  std::memset(&address, 0, sizeof(address));
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, name, length);
  // An abstract socket's name starts with a NUL byte and is not NUL-terminated: its length is
  // exact, so no trailing NUL is counted.
  if (name[0] == '@') address.sun_path[0] = '\0';
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length +
                                (name[0] == '/' ? 1 : 0));
}

}  // namespace

bool notify_systemd(std::string_view state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || name[0] == '\0') return true;
  sockaddr_un address{};
  const socklen_t length = notify_address(name, address);
  if (length == 0) return false;
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

std::string reloading_message() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
                    static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace funnel::server
