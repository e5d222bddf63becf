// Test fixtures (funnel::test): a blocking RESP client for tests, to talk to redis-server, to
// Funnel or to a FakeBackend byte by byte. Every read has a deadline; nothing waits forever.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/value.hpp"

namespace funnel::test {

class RespConnection {
 public:
  // Connects to 127.0.0.1:port; throws if the connection is refused. timeout bounds each read.
  explicit RespConnection(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~RespConnection();
  RespConnection(const RespConnection&) = delete;
  RespConnection& operator=(const RespConnection&) = delete;

  // Encodes args as one multibulk request and sends it (without reading).
  void send_command(const std::vector<std::string>& args);
  // Sends bytes exactly as given (inline commands, broken protocol, split requests).
  void send_raw(std::string_view bytes);
  // Reads one complete reply (RESP2 or RESP3) and parses it. Throws std::runtime_error on
  // timeout, on EOF and on invalid RESP, with the bytes received so far in the message.
  resp::Value read_value();
  // Reads one complete reply and returns its exact bytes. Throws like read_value().
  std::string read_raw_reply();
  // send_command + read_value.
  resp::Value command(const std::vector<std::string>& args);
  // True if the peer closes (EOF or reset) within timeout. Bytes that arrive meanwhile are kept
  // for the next read.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Bytes received but not yet returned by a read.
  const std::string& buffered() const { return buffer_; }
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_; }
  // Closes the socket now (the destructor does too).
  void close();

 private:
  // Waits until more bytes arrive or the deadline passes; returns bytes read, 0 on EOF, -1 on
  // timeout. Throws on socket errors other than a reset (a reset counts as EOF).
  long receive_some(std::chrono::steady_clock::time_point deadline);
  [[noreturn]] void fail(const std::string& what) const;

  std::uint16_t port_;
  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
};

// Encodes args as a RESP multibulk request.
std::string encode_command(const std::vector<std::string>& args);

// A readable one-line rendering of bytes (\r\n escaped), for failure messages.
std::string printable(std::string_view bytes, std::size_t max = 512);

}  // namespace funnel::test
