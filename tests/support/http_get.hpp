// A minimal blocking HTTP GET for tests of Funnel's admin listener (no HTTP library on purpose:
// the tests check exactly what goes over the wire).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace funnel::test {

struct HttpReply {
  int status = 0;  // 0: no answer (refused, timeout, garbage)
  std::string headers;
  std::string body;
};

// GET path from 127.0.0.1:port with Connection: close and the given extra header lines (each
// ending in "\r\n"), read to EOF within `timeout`.
HttpReply http_get(std::uint16_t port, const std::string& path, const std::string& headers = "",
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The same with another method (POST /pause, say); the request has no body.
HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& path,
                       const std::string& headers = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace funnel::test
