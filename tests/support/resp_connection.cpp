// Test fixtures (funnel::test): RespConnection, see resp_connection.hpp.
#include "support/resp_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>

#include "resp/reply_framer.hpp"
#include "support/net.hpp"

namespace funnel::test {

std::string encode_command(const std::vector<std::string>& args) {
  // append() rather than "*" + to_string(...): GCC 12 at -O3 warns (-Wrestrict) on the latter.
  std::string out;
  out.append("*").append(std::to_string(args.size())).append("\r\n");
  for (const auto& arg : args) {
    out.append("$").append(std::to_string(arg.size())).append("\r\n").append(arg).append("\r\n");
  }
  return out;
}

std::string printable(std::string_view bytes, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > max) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

RespConnection::RespConnection(std::uint16_t port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {
  fd_ = connect_loopback(port);
  if (fd_ < 0) throw_errno("RespConnection: connect 127.0.0.1:" + std::to_string(port));
}

RespConnection::~RespConnection() {
  close();
}

void RespConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RespConnection::fail(const std::string& what) const {
  throw std::runtime_error("RespConnection 127.0.0.1:" + std::to_string(port_) + ": " + what +
                           "; unread bytes: \"" + printable(buffer_) + "\"");
}

void RespConnection::send_command(const std::vector<std::string>& args) {
  send_raw(encode_command(args));
}

void RespConnection::send_raw(std::string_view bytes) {
  if (fd_ < 0) fail("send on a closed connection");
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("RespConnection: send to 127.0.0.1:" + std::to_string(port_));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

long RespConnection::receive_some(std::chrono::steady_clock::time_point deadline) {
  if (fd_ < 0) return 0;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return -1;
    pollfd pfd{fd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_errno("RespConnection: poll");
    if (ready == 0) return -1;
    char chunk[16 * 1024];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ECONNRESET) return 0;
    if (n < 0) throw_errno("RespConnection: recv from 127.0.0.1:" + std::to_string(port_));
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return n;
  }
}

resp::Value RespConnection::read_value() {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (true) {
    if (!buffer_.empty()) {
      resp::Value value;
      std::size_t consumed = 0;
      switch (resp::parse_value(buffer_, value, consumed)) {
        case resp::ValueStatus::kComplete:
          buffer_.erase(0, consumed);
          return value;
        case resp::ValueStatus::kInvalid:
          fail("invalid RESP in reply");
        case resp::ValueStatus::kNeedMore:
          break;
      }
    }
    long n = receive_some(deadline);
    if (n == 0) fail("connection closed by peer while waiting for a reply");
    if (n < 0) fail("no complete reply within " + std::to_string(timeout_.count()) + " ms");
  }
}

std::string RespConnection::read_raw_reply() {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  resp::ReplyFramer framer;
  std::size_t framed_upto = 0;  // the framer resumes: give it the same start, more bytes
  while (true) {
    if (buffer_.size() > framed_upto) {
      framed_upto = buffer_.size();
      switch (framer.frame(buffer_)) {
        case resp::FrameStatus::kComplete: {
          std::string reply = buffer_.substr(0, framer.length());
          buffer_.erase(0, framer.length());
          return reply;
        }
        case resp::FrameStatus::kInvalid:
          fail("invalid RESP in reply (" + std::string(framer.error()) + ")");
        case resp::FrameStatus::kNeedMore:
          break;
      }
    }
    long n = receive_some(deadline);
    if (n == 0) fail("connection closed by peer while waiting for a reply");
    if (n < 0) fail("no complete reply within " + std::to_string(timeout_.count()) + " ms");
  }
}

resp::Value RespConnection::command(const std::vector<std::string>& args) {
  send_command(args);
  return read_value();
}

bool RespConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    long n = receive_some(deadline);
    if (n == 0) return true;
    if (n < 0) return false;
  }
}

}  // namespace funnel::test
