// http_get() (see http_get.hpp).
#include "support/http_get.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "support/net.hpp"

namespace funnel::test {

HttpReply http_get(std::uint16_t port, const std::string& path, const std::string& headers,
                   std::chrono::milliseconds timeout) {
  return http_request(port, "GET", path, headers, timeout);
}

HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& path,
                       const std::string& headers, std::chrono::milliseconds timeout) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  const std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                              "Connection: close\r\n\r\n";
  std::string raw;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char chunk[16384];
    for (int reads = 0; reads < 100000; ++reads) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) break;
      raw.append(chunk, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  HttpReply reply;
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return reply;
  reply.status = std::atoi(raw.c_str() + 9);
  reply.headers = raw.substr(0, end);
  reply.body = raw.substr(end + 4);
  return reply;
}

}  // namespace funnel::test
