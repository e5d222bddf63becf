// A one-request-per-connection HTTP endpoint on 127.0.0.1 for the credential sources' tests
// (aws_credentials_test.cpp, aws_profiles_test.cpp), and the chain's environment around it: the
// real HTTP client and files, a table for the environment variables, a fixed clock.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "aws/credential_chain.hpp"
#include "aws/iam_token.hpp"

namespace funnel::aws {

struct Seen {
  std::string method, path, body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

struct Answer {
  int status = 200;
  std::string body{};
  bool hang = false;  // accept, read, never answer
};

// A one-request-per-connection HTTP/1.1 endpoint on 127.0.0.1 with a routing function.
class FakeEndpoint {
 public:
  explicit FakeEndpoint(std::function<Answer(const Seen&)> route) : route_(std::move(route)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_, 16), 0);
    socklen_t size = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeEndpoint() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
    for (int fd : hung_) ::close(fd);
  }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void serve() {
    while (!stopping_) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      Seen request;
      if (!read_request(fd, request)) {
        ::close(fd);
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(request);
      }
      const Answer answer = route_(request);
      if (answer.hang) {
        hung_.push_back(fd);
        continue;
      }
      const std::string reply = "HTTP/1.1 " + std::to_string(answer.status) +
                                " X\r\nContent-Length: " + std::to_string(answer.body.size()) +
                                "\r\nConnection: close\r\n\r\n" + answer.body;
      (void)!::write(fd, reply.data(), reply.size());
      ::close(fd);
    }
  }
  static bool read_request(int fd, Seen& out) {
    std::string data;
    char buffer[4096];
    std::size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) return false;
      data.append(buffer, static_cast<std::size_t>(n));
      header_end = data.find("\r\n\r\n");
    }
    std::size_t line_end = data.find("\r\n");
    const std::string first = data.substr(0, line_end);
    out.method = first.substr(0, first.find(' '));
    out.path = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
    std::size_t length = 0;
    for (std::size_t at = line_end + 2; at < header_end;) {
      const std::size_t end = data.find("\r\n", at);
      const std::string line = data.substr(at, end - at);
      std::string name = line.substr(0, line.find(':'));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(line.find(':') + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") length = std::stoul(value);
      out.headers[name] = value;
      at = end + 2;
    }
    out.body = data.substr(header_end + 4);
    while (out.body.size() < length) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) return false;
      out.body.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  std::function<Answer(const Seen&)> route_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
  std::vector<int> hung_;  // serve thread only
};

// The real HTTP client and files, a table for the environment and the clock.
struct World {
  std::map<std::string, std::string> env;
  Clock::time_point now = *parse_iso8601("2026-01-02T03:00:00Z");
  ChainEnvironment environment() {
    ChainEnvironment e = ChainEnvironment::system();
    e.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto found = env.find(name);
      if (found == env.end()) return std::nullopt;
      return found->second;
    };
    e.now = [this] { return now; };
    return e;
  }
};

}  // namespace funnel::aws
