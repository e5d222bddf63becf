// TakeoverLoad (see takeover_load.hpp): blocking sockets with poll deadlines, one request pair in
// flight per client at a time, so the client is between requests whenever Funnel may close it.
#include "takeover_load.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "support/resp_connection.hpp"

namespace funnel::test {
namespace {
constexpr int kReplyTimeoutMs = 5000;

int connect_to(std::uint16_t port, int& error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = errno;
    ::close(fd);
    return -1;
  }
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

// Reads until `expected` bytes came, the peer closed, or the deadline passed. Returns the bytes.
std::string read_reply(int fd, std::size_t expected, bool& closed) {
  std::string got;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kReplyTimeoutMs);
  char buffer[512];
  while (got.size() < expected) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd wait{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&wait, 1, static_cast<int>(left.count())) != 1) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed = true;
      break;
    }
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}
}  // namespace

TakeoverLoad::TakeoverLoad(std::uint16_t port, int clients, int threads)
    : port_(port), started_(std::chrono::steady_clock::now()) {
  const int per_thread = (clients + threads - 1) / threads;
  for (int first = 0; first < clients; first += per_thread) {
    threads_.emplace_back(
        [this, first, count = std::min(per_thread, clients - first)] { run(first, count); });
  }
}

TakeoverLoad::~TakeoverLoad() {
  stop();
}

void TakeoverLoad::stop() {
  stop_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void TakeoverLoad::run(int first, int count) {
  std::vector<int> fds(static_cast<std::size_t>(count), -1);
  for (std::uint64_t sequence = 0; !stop_; ++sequence) {
    for (int i = 0; i < count && !stop_; ++i) {
      if (!round(first + i, fds[static_cast<std::size_t>(i)], sequence)) {
        // Back off a little after a refused or failed connect: a hot loop of them would only
        // measure how fast this thread can fail.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

// One SET+GET pair on the client's connection, connecting first if it has none. A connection
// that ends with no byte of the pair's replies was closed between requests (the takeover's idle
// close, or the client's request crossing it): the pair is sent again on a new connection.
bool TakeoverLoad::round(int client, int& fd, std::uint64_t sequence) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (fd < 0) {
      int error = 0;
      fd = connect_to(port_, error);
      if (fd < 0) {
        (error == ECONNREFUSED ? counts_.refused : counts_.connect_errors).fetch_add(1);
        if (error == ECONNREFUSED) note_failure("connect refused");
        return false;
      }
    }
    const std::string key = "takeover:" + std::to_string(client);
    const std::string value = std::to_string(client) + ":" + std::to_string(sequence);
    const std::string request = encode_command({"SET", key, value}) + encode_command({"GET", key});
    const std::string expected =
        "+OK\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    bool closed = false;
    const std::string reply = read_reply(fd, expected.size(), closed);
    if (reply == expected) {
      counts_.ok.fetch_add(1);
      return true;
    }
    ::close(fd);
    fd = -1;
    if (closed && reply.empty()) {
      counts_.idle_closes.fetch_add(1);
      const auto at = std::chrono::steady_clock::now() - started_;
      std::lock_guard lock(mutex_);
      idle_close_times_.push_back(
          std::chrono::duration_cast<std::chrono::milliseconds>(at).count());
      continue;
    }
    const bool error_reply = !reply.empty() && reply[0] == '-';
    (error_reply || closed || reply.size() < expected.size() ? counts_.failed : counts_.mismatches)
        .fetch_add(1);
    note_failure("client " + std::to_string(client) + (closed ? " (closed)" : "") + ": got \"" +
                 reply + "\" for \"" + expected + "\"");
    return false;
  }
  return false;
}

void TakeoverLoad::note_failure(const std::string& what) {
  std::lock_guard lock(mutex_);
  if (samples_.size() < 10) samples_.push_back(what);
}

std::vector<std::int64_t> TakeoverLoad::idle_close_times() const {
  std::lock_guard lock(mutex_);
  return idle_close_times_;
}

std::vector<std::string> TakeoverLoad::samples() const {
  std::lock_guard lock(mutex_);
  return samples_;
}

std::string TakeoverLoad::summary() const {
  std::string text =
      "ok " + std::to_string(counts_.ok) + ", refused " + std::to_string(counts_.refused) +
      ", connect errors " + std::to_string(counts_.connect_errors) + ", idle closes " +
      std::to_string(counts_.idle_closes) + ", failed " + std::to_string(counts_.failed) +
      ", mismatches " + std::to_string(counts_.mismatches);
  for (const auto& sample : samples()) text += "\n  " + sample;
  return text;
}

}  // namespace funnel::test
