// Test fixtures (funnel::test): loopback ports and sockets for the processes and fakes that
// integration tests start. Nothing here uses a fixed port.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace funnel::test {

// A port on 127.0.0.1 that was free a moment ago: the kernel picks it (bind to port 0), we close
// the socket and hand the number out. Another process may still take it before the caller binds,
// hence retry_with_free_port. A port any test process handed out in the last ten minutes is not
// handed out again (see net.cpp: a killed node's address stays known to its test's Sentinel).
std::uint16_t free_port();

// Calls try_start(port) with a fresh free port until it returns something truthy (a non-null
// pointer, an engaged optional, true) or attempts run out; returns the last result.
template <typename TryStart>
auto retry_with_free_port(TryStart&& try_start, int attempts = 5) {
  auto result = try_start(free_port());
  for (int i = 1; i < attempts && !result; ++i) result = try_start(free_port());
  return result;
}

// A connected, blocking TCP socket to 127.0.0.1:port with SOCK_CLOEXEC, or -1 if the connect
// failed (errno says why). Never retries.
int connect_loopback(std::uint16_t port);

// A TCP socket to 127.0.0.1:port from the source address `source` (any 127.x.y.z: the whole
// 127.0.0.0/8 is loopback on Linux), so the server sees another client address (and the
// connection gets a port space of its own). Non-blocking when asked (the connect may then still
// be in progress). -1 on failure (errno says why).
int connect_loopback_from(const char* source, std::uint16_t port, bool nonblocking = false);

// Closes with a reset (SO_LINGER 0): tens of thousands of short connections must not leave the
// test's side in TIME_WAIT, or the loopback ports run out within a minute.
void close_with_reset(int fd);

// True if something accepts TCP connections on 127.0.0.1:port right now.
bool port_accepts(std::uint16_t port);

// Sends PING (multibulk) and returns true if the server answers it within timeout: +PONG, or
// -NOAUTH from a server that wants a password (it is up; it just wants AUTH first). -LOADING
// and no answer count as not ready.
bool answers_ping(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(1));

// Reads a whole file; empty string if it does not exist.
std::string read_file(const std::string& path);

// "<what>: <strerror(errno)>" as a runtime_error, for failed system calls in fixtures.
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace funnel::test
