// HostileCrowd: the attacks of issue #14, one thread each (see hostile_crowd.hpp).
#include "hostile_crowd.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <chrono>

#include "support/net.hpp"
#include "support/resp_connection.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A non-blocking loopback socket the attacks can abandon at any point. Closed on destruction.
class RawSocket {
 public:
  RawSocket() = default;  // not connected (ok() is false)
  // Connects from `source` (any 127.x.y.z address) to 127.0.0.1:port; ok() is false on failure.
  explicit RawSocket(std::uint16_t port, const char* source = "127.0.0.1")
      : fd_(connect_loopback_from(source, port)) {}
  ~RawSocket() { close(); }
  RawSocket(RawSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RawSocket& operator=(RawSocket&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Sends what the socket takes now; false once the peer is gone.
  bool send_now(std::string_view bytes) {
    if (fd_ < 0) return false;
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK;
  }
  // Reads what arrives within `timeout` and appends it; false on EOF, reset or timeout.
  bool read_some(std::string& into, std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (fd_ < 0 || ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n <= 0) return false;
    into.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  // Reads until the peer closes (true) or `timeout` passes (false); keeps what arrived.
  bool read_until_closed(std::string& into, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char chunk[16384];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
      if (n > 0) into.append(chunk, static_cast<std::size_t>(n));
    }
    return false;
  }

 private:
  int fd_ = -1;
};

void note(AttackStats& stats, const std::string& what) {
  ++stats.anomalies;
  if (stats.samples.size() < 3) stats.samples.push_back(printable(what, 160));
}

std::string auth_command(const std::string& password) {
  return encode_command({"AUTH", password});
}

// An authenticated raw socket, or one that is not ok().
RawSocket authenticated(const CrowdTarget& target, AttackStats& stats) {
  RawSocket socket(target.port);
  if (!socket.ok()) return socket;
  ++stats.connections;
  std::string reply;
  socket.send_now(auth_command(target.password));
  while (reply.find("\r\n") == std::string::npos && socket.read_some(reply, 5s)) {
  }
  if (reply != "+OK\r\n") {
    note(stats, "AUTH with the right password got " + reply);
    socket.close();
  }
  return socket;
}

}  // namespace

HostileCrowd::HostileCrowd(CrowdTarget target) : target_(std::move(target)) {}

HostileCrowd::~HostileCrowd() {
  stop();
}

void HostileCrowd::start() {
  launch("half requests then close", &HostileCrowd::half_requests_then_close);
  launch("slow endless bulks", &HostileCrowd::slow_endless_bulks);
  launch("huge headers", &HostileCrowd::huge_headers);
  launch("slow readers", &HostileCrowd::slow_readers);
  launch("auth guessing from 127.0.0.3", &HostileCrowd::auth_guessing);
  launch("slow admin requests", &HostileCrowd::slow_admin_requests);
  launch("fake READONLY scripts", &HostileCrowd::fake_readonly_scripts);
  launch("deeply nested replies", &HostileCrowd::deep_replies);
  launch("many arguments trickled", &HostileCrowd::many_arguments_trickled);
}

void HostileCrowd::launch(const char* name, Attack attack) {
  stats_.push_back(std::make_unique<AttackStats>());
  AttackStats& stats = *stats_.back();
  stats.name = name;
  threads_.emplace_back([this, attack, &stats] {
    // An attack that meets an unexpected answer (a timeout, a close) records it and starts over.
    for (int restarts = 0; restarts < 100 && !stopping(); ++restarts) {
      try {
        (this->*attack)(stats);
        return;
      } catch (const std::exception& e) {
        note(stats, e.what());
        std::this_thread::sleep_for(100ms);
      }
    }
  });
}

void HostileCrowd::stop() {
  stop_ = true;
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

std::string HostileCrowd::summary() const {
  std::string text;
  for (const auto& stats : stats_) {
    text += fmt::format("  {}: {} connections, {} actions, {} anomalies\n", stats->name,
                        stats->connections.load(), stats->actions.load(), stats->anomalies.load());
    for (const std::string& sample : stats->samples) text += "    " + sample + "\n";
  }
  return text;
}

std::uint64_t HostileCrowd::anomalies() const {
  std::uint64_t total = 0;
  for (const auto& stats : stats_) total += stats->anomalies.load();
  return total;
}

// Half a request, then close: before and after AUTH. Funnel must notice each close at once
// (issue #14 item 1), or the max_clients slots and descriptors run out.
void HostileCrowd::half_requests_then_close(AttackStats& stats) {
  const std::string partial = "*3\r\n$3\r\nSET\r\n$9\r\nsoak:half\r\n$100\r\nabc";
  // Closing first leaves this side in TIME_WAIT: sources rotate over 16 addresses so that the
  // attack never runs out of loopback ports (nor takes the well-behaved clients' ones).
  const std::string sources[] = {"127.0.1.1",  "127.0.1.2",  "127.0.1.3",  "127.0.1.4",
                                 "127.0.1.5",  "127.0.1.6",  "127.0.1.7",  "127.0.1.8",
                                 "127.0.1.9",  "127.0.1.10", "127.0.1.11", "127.0.1.12",
                                 "127.0.1.13", "127.0.1.14", "127.0.1.15", "127.0.1.16"};
  for (int i = 0; i < 30'000 && !stopping(); ++i) {
    RawSocket socket(target_.port, sources[i % 16].c_str());
    if (!socket.ok()) continue;
    ++stats.connections;
    socket.send_now(i % 2 == 0 ? partial : auth_command(target_.password) + partial);
    ++stats.actions;
    std::this_thread::sleep_for(2ms);
  }
}

// A header announcing a 60 MB value, then a trickle of bytes that never ends: Funnel must hold
// only what arrived (item 3) and keep parsing where it stopped.
void HostileCrowd::slow_endless_bulks(AttackStats& stats) {
  constexpr int kConnections = 40;
  std::vector<RawSocket> sockets;
  const std::string header = "*3\r\n$3\r\nSET\r\n$9\r\nsoak:slow\r\n$60000000\r\n";
  for (int i = 0; i < kConnections && !stopping(); ++i) {
    RawSocket socket = authenticated(target_, stats);
    if (socket.ok() && socket.send_now(header)) sockets.push_back(std::move(socket));
  }
  const std::string trickle(1024, 'x');
  while (!stopping()) {
    for (RawSocket& socket : sockets) {
      if (socket.send_now(trickle)) ++stats.actions;
    }
    std::this_thread::sleep_for(200ms);
  }
}

// Header lines past Redis's 64 KB limit, an inline request without an end, an absurd count: each
// gets Redis's protocol error and a close, and costs Funnel nothing afterwards.
void HostileCrowd::huge_headers(AttackStats& stats) {
  const std::string variants[] = {
      "*1\r\n$" + std::string(70'000, '9'),
      std::string(70'000, 'a'),
      "*3000000000\r\n",
  };
  for (int i = 0; i < 2'000 && !stopping(); ++i) {
    RawSocket socket = authenticated(target_, stats);
    if (!socket.ok()) continue;
    socket.send_now(variants[i % 3]);
    ++stats.actions;
    std::string reply;
    const bool closed = socket.read_until_closed(reply, 5s);
    if (!closed || !reply.starts_with("-ERR Protocol error")) {
      note(stats, fmt::format("closed={} reply={}", closed, reply));
    }
    std::this_thread::sleep_for(20ms);
  }
}

// Ask for more large replies than the output limit and never read them: Funnel buffers at most
// the hard limit for each and closes it; the links keep serving everyone else. Every second a new
// reader comes and, once there are 8, the oldest goes (a reader cannot see Funnel's close: its
// window is shut), so the pressure lasts. Sized at 8 x 4 MB per reader (twice the soak's 16 MB hard
// limit): every byte asked for still has to come through the shared link, which delays the
// requests queued behind it by the transfer time, as on any shared connection.
void HostileCrowd::slow_readers(AttackStats& stats) {
  constexpr std::size_t kConnections = 8;
  std::string burst;
  for (int i = 0; i < 8; ++i) burst += encode_command({"GET", target_.big_key});
  std::vector<RawSocket> sockets;
  for (int round = 0; round < 1'000 && !stopping(); ++round) {
    if (sockets.size() == kConnections) sockets.erase(sockets.begin());
    RawSocket socket = authenticated(target_, stats);
    if (socket.ok()) {
      const int small = 4096;
      ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
      socket.send_now(burst);
      ++stats.actions;
      sockets.push_back(std::move(socket));
    }
    for (int i = 0; i < 10 && !stopping(); ++i) std::this_thread::sleep_for(100ms);
  }
}

// Password guesses from one address on many connections, each connection guessing again as soon
// as it is told WRONGPASS (item 7). No guess may ever succeed.
void HostileCrowd::auth_guessing(AttackStats& stats) {
  constexpr std::size_t kSockets = 64;
  std::vector<RawSocket> sockets(kSockets);
  std::vector<std::string> pending(kSockets);
  std::uint64_t guess = 0;
  auto send_guess = [&](std::size_t i) {
    if (!sockets[i].ok()) {
      sockets[i] = RawSocket(target_.port, "127.0.0.3");
      if (!sockets[i].ok()) return;
      ++stats.connections;
    }
    sockets[i].send_now(encode_command({"AUTH", fmt::format("guess-{}", guess++)}));
    ++stats.actions;
  };
  for (std::size_t i = 0; i < kSockets; ++i) send_guess(i);
  while (!stopping() && guess < 1'500'000) {
    std::vector<pollfd> polls;
    for (const RawSocket& socket : sockets) polls.push_back({socket.fd(), POLLIN, 0});
    ::poll(polls.data(), polls.size(), 50);
    for (std::size_t i = 0; i < kSockets; ++i) {
      if (polls[i].fd < 0) {
        send_guess(i);
        continue;
      }
      if (!(polls[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (!sockets[i].read_some(pending[i], 0ms)) sockets[i].close();  // closed: reconnect
      if (pending[i].starts_with("+OK")) note(stats, "a wrong password was accepted");
      if (pending[i].find("\r\n") != std::string::npos) pending[i].clear();
      send_guess(i);
    }
  }
}

// Admin requests whose headers never end (slowloris, item 8). Funnel must bound them apart from
// its Redis clients.
void HostileCrowd::slow_admin_requests(AttackStats& stats) {
  constexpr int kConnections = 300;
  std::vector<RawSocket> sockets(kConnections);
  for (int round = 0; !stopping() && stats.connections < 20'000; ++round) {
    for (RawSocket& socket : sockets) {
      if (!socket.ok()) {
        socket = RawSocket(target_.admin_port);
        if (!socket.ok()) continue;
        ++stats.connections;
        socket.send_now("GET /metrics HTTP/1.1\r\nHost: funnel\r\n");
      } else if (!socket.send_now(fmt::format("X-Slow-{}: 1\r\n", round))) {
        socket.close();
      }
      ++stats.actions;
    }
    for (int i = 0; i < 5 && !stopping(); ++i) std::this_thread::sleep_for(100ms);
    for (RawSocket& socket : sockets) {
      pollfd p{socket.fd(), POLLRDHUP, 0};
      if (socket.ok() && ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        socket.close();
      }
    }
  }
}

// A script that writes, then claims the node is a replica (item 6): Funnel must pass the error
// on, run the script exactly once, and change nothing about its links.
void HostileCrowd::fake_readonly_scripts(AttackStats& stats) {
  RespConnection c(target_.port);
  ++stats.connections;
  c.command({"AUTH", target_.password});
  const std::string script =
      "redis.call('INCR', KEYS[1]) "
      "return redis.error_reply('READONLY You can\\'t write against a read only replica.')";
  while (!stopping()) {
    const resp::Value reply = c.command({"EVAL", script, "1", target_.readonly_counter});
    ++stats.actions;
    if (reply.str.starts_with("READONLY")) {
      ++readonly_runs_;
    } else {
      note(stats, "fake READONLY script answered " + reply.str);
    }
    std::this_thread::sleep_for(20ms);
  }
}

// A reply nested thousands of levels deep (Redis's test "Script return recursive object",
// item 12): the reply reaches this client whole and the shared link stays up.
void HostileCrowd::deep_replies(AttackStats& stats) {
  RespConnection c(target_.port);
  ++stats.connections;
  c.command({"AUTH", target_.password});
  while (!stopping()) {
    c.send_command({"EVAL", "local a = {} local b = {a} a[1] = b return a", "0"});
    const std::string reply = c.read_raw_reply();
    ++stats.actions;
    if (!reply.starts_with("*1\r\n*1\r\n") || reply.size() < 1000) {
      note(stats, "deep reply was " + reply);
    }
    std::this_thread::sleep_for(100ms);
  }
}

// One request of 900,000 arguments sent seven bytes at a time (item 5): parsing must resume
// where it stopped, or each packet costs Funnel a parse of everything before it.
void HostileCrowd::many_arguments_trickled(AttackStats& stats) {
  constexpr int kConnections = 2;
  std::vector<RawSocket> sockets;
  for (int i = 0; i < kConnections; ++i) {
    RawSocket socket = authenticated(target_, stats);
    if (socket.ok() && socket.send_now("*900000\r\n$4\r\nRPUSH\r\n$9\r\nsoak:args\r\n")) {
      sockets.push_back(std::move(socket));
    }
  }
  for (std::uint64_t packet = 0; !stopping() && packet < 1'000'000; ++packet) {
    for (RawSocket& socket : sockets) socket.send_now("$1\r\nx\r\n");
    ++stats.actions;
    std::this_thread::sleep_for(500us);
  }
}

}  // namespace funnel::test
