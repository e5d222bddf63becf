// Hostile clients at the front door (issue #14, items 7 and 8): password guessing from one
// address with a connection per guess, and the admin HTTP listener under slow, idle and
// oversized requests. One hostile address must not slow anyone else down, take the client slots
// or the descriptors, and a right password is never delayed.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "support/http_get.hpp"

namespace funnel::test {
namespace {

constexpr const char* kSecret = "client-Secret-4b7d";
constexpr const char* kAdminToken = "admin-Token-9c31";
constexpr const char* kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

// Reads until the first "\r\n" (one simple reply line), EOF or the deadline.
enum class Outcome { kOk, kWrongPass, kMaxClients, kOther, kClosed, kTimeout };
Outcome read_line_reply(int fd, std::chrono::milliseconds timeout, std::string* line = nullptr) {
  const auto deadline = Clock::now() + timeout;
  std::string got;
  while (got.find("\r\n") == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return Outcome::kTimeout;
    }
    char chunk[512];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return got.empty() ? Outcome::kClosed : Outcome::kOther;
    got.append(chunk, static_cast<std::size_t>(n));
  }
  if (line != nullptr) *line = got.substr(0, got.find("\r\n"));
  if (got.starts_with("+OK")) return Outcome::kOk;
  if (got.starts_with(std::string("-") + kWrongPass)) return Outcome::kWrongPass;
  if (got.starts_with("-ERR max number of clients reached")) return Outcome::kMaxClients;
  return Outcome::kOther;
}

// One AUTH from `local` on a fresh connection: the outcome and how long its answer took.
struct Attempt {
  Outcome outcome = Outcome::kTimeout;
  std::chrono::milliseconds took{0};
};
Attempt auth_once(const char* local, std::uint16_t port, const std::string& password) {
  const auto started = Clock::now();
  const int fd = connect_loopback_from(local, port);
  if (fd < 0) return {};
  const std::string request = encode_command({"AUTH", password});
  Attempt attempt;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    attempt.outcome = read_line_reply(fd, 10s);
  }
  attempt.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  close_with_reset(fd);
  return attempt;
}

// What a guessing run saw, by outcome.
struct GuessCounts {
  int ok = 0, wrong = 0, max_clients = 0, other = 0, closed = 0;
};

// A password guesser from one address: keeps `concurrency` connections in flight, each sending
// an AUTH and waiting for its answer. Without `repeat` it opens a fresh connection for every
// guess (the attack the per-connection pause never slowed); with it, an answered connection
// guesses again, as the attacker did, whose paused sessions filled max_clients.
class Guesser {
 public:
  Guesser(std::uint16_t port, std::string password, int concurrency, bool repeat)
      : port_(port),
        request_(encode_command({"AUTH", std::move(password)})),
        concurrency_(concurrency),
        repeat_(repeat) {}
  ~Guesser() {
    for (const Pending& p : pending_) close_with_reset(p.fd);
  }

  // Guesses until `duration` passes, `stop` is set or `max_sockets` connections were opened.
  GuessCounts run(std::chrono::milliseconds duration, const std::atomic<bool>& stop,
                  int max_sockets) {
    const auto deadline = Clock::now() + duration;
    while (Clock::now() < deadline && !stop) {
      while (static_cast<int>(pending_.size()) < concurrency_ && opened_ < max_sockets) {
        const int fd = connect_loopback_from("127.0.0.1", port_, true);
        if (fd < 0) break;
        ++opened_;
        pending_.push_back({fd, false, {}});
      }
      if (pending_.empty()) break;
      step();
    }
    return counts_;
  }

 private:
  struct Pending {
    int fd;
    bool sent;
    std::string got;
  };

  void step() {
    std::vector<pollfd> fds;
    for (const Pending& p : pending_) fds.push_back({p.fd, short(p.sent ? POLLIN : POLLOUT), 0});
    if (::poll(fds.data(), fds.size(), 20) <= 0) return;
    std::vector<Pending> still;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      Pending& p = pending_[i];
      if (fds[i].revents == 0 || advance(p, fds[i].revents)) {
        still.push_back(std::move(p));
      }
    }
    pending_.swap(still);
  }

  // False once the connection is done (answered or closed).
  bool advance(Pending& p, short revents) {
    if (!p.sent) {
      if ((revents & (POLLERR | POLLHUP)) != 0) return finish(p.fd, Outcome::kClosed);
      p.sent = ::send(p.fd, request_.data(), request_.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(request_.size());
      return p.sent || finish(p.fd, Outcome::kClosed);
    }
    char chunk[512];
    const ssize_t n = ::read(p.fd, chunk, sizeof chunk);
    if (n <= 0) return finish(p.fd, p.got.empty() ? Outcome::kClosed : Outcome::kOther);
    p.got.append(chunk, static_cast<std::size_t>(n));
    if (p.got.find("\r\n") == std::string::npos) return true;
    if (p.got.starts_with("+OK")) return finish(p.fd, Outcome::kOk);
    if (p.got.starts_with(std::string("-") + kWrongPass)) {
      if (!repeat_) return finish(p.fd, Outcome::kWrongPass);
      ++counts_.wrong;  // and guess again on the same connection
      p.got.clear();
      return ::send(p.fd, request_.data(), request_.size(), MSG_NOSIGNAL) ==
                 static_cast<ssize_t>(request_.size()) ||
             finish(p.fd, Outcome::kClosed);
    }
    if (p.got.starts_with("-ERR max number")) return finish(p.fd, Outcome::kMaxClients);
    return finish(p.fd, Outcome::kOther);
  }

  bool finish(int fd, Outcome outcome) {
    switch (outcome) {
      case Outcome::kOk:
        ++counts_.ok;
        break;
      case Outcome::kWrongPass:
        ++counts_.wrong;
        break;
      case Outcome::kMaxClients:
        ++counts_.max_clients;
        break;
      case Outcome::kClosed:
        ++counts_.closed;
        break;
      default:
        ++counts_.other;
        break;
    }
    close_with_reset(fd);
    return false;
  }

  std::uint16_t port_;
  std::string request_;
  int concurrency_;
  bool repeat_;
  int opened_ = 0;
  std::vector<Pending> pending_;
  GuessCounts counts_;
};

// Joins an attacker thread: when its run is over (wait), or at once on any other way out of a
// test (a failed ASSERT included).
struct JoinOnExit {
  std::atomic<bool>& stop;
  std::thread& thread;
  void wait() const {
    if (thread.joinable()) thread.join();
  }
  ~JoinOnExit() {
    stop = true;
    wait();
  }
};

std::string describe(const GuessCounts& c) {
  std::ostringstream out;
  out << "ok=" << c.ok << " wrongpass=" << c.wrong << " max_clients=" << c.max_clients
      << " closed=" << c.closed << " other=" << c.other;
  return out.str();
}

// The value of a metric line "name value" (or "name{labels} value") in Prometheus text; -1 if
// absent.
double metric(const std::string& text, const std::string& series) {
  const std::size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::atof(text.c_str() + at + series.size() + 2);
}

// A free loopback port other than `taken` (free_port() may return the same one twice in a row:
// the kernel picks the same ephemeral port while nothing holds it).
std::uint16_t another_free_port(std::uint16_t taken) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(taken);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  // Holding `taken` while asking for another guarantees a different answer.
  const bool held = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  std::uint16_t port = free_port();
  for (int i = 0; i < 5 && port == taken; ++i) port = free_port();
  (void)held;
  ::close(fd);
  return port;
}

class HostileAuthTest : public ProxyFixture {
 protected:
  // Funnel with a client password and an admin endpoint with a token on a free port.
  void start_guarded(std::vector<std::string> extra = {}) {
    redis_ = RedisServer::start();
    std::vector<std::string> args = {"--backend",          backend_arg(redis_->port()),
                                     "--requirepass-file", dir_.write("client.pass", kSecret),
                                     "--admin-token-file", dir_.write("admin.token", kAdminToken)};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string why;
    funnel_ = retry_with_free_port([&](std::uint16_t port) -> std::unique_ptr<FunnelProcess> {
      // Both ports chosen here: the kernel may hand out the same free port twice in a row.
      admin_port_ = port;
      const std::uint16_t listen = another_free_port(port);
      std::vector<std::string> with_admin = args;
      with_admin.insert(with_admin.end(), {"--admin", "127.0.0.1:" + std::to_string(port),
                                           "--listen", "127.0.0.1:" + std::to_string(listen)});
      try {
        return FunnelProcess::start(with_admin);
      } catch (const std::exception& e) {
        why = e.what();
        return nullptr;
      }
    });
    if (!funnel_) throw std::runtime_error("funnel did not start: " + why);
    // FunnelProcess::start waits for the client listener; the admin listener runs on a thread
    // of its own and may start a moment later (a loaded CI run once had the first admin connect
    // refused).
    const bool admin_up = wait_until([&] {
      const int fd = connect_loopback(admin_port_);
      if (fd >= 0) ::close(fd);
      return fd >= 0;
    });
    if (!admin_up) throw std::runtime_error("the admin listener never accepted a connection");
  }
  std::string bearer() const {
    return std::string("Authorization: Bearer ") + kAdminToken + "\r\n";
  }
  std::string scrape() { return http_get(admin_port_, "/metrics", bearer()).body; }

  TempDir dir_{"funnel-hostile-auth"};
  std::uint16_t admin_port_ = 0;
};

// ---- Item 7: password guessing -------------------------------------------------------------

// One address opens a connection per guess. Before the fix each connection's first WRONGPASS
// came back at once, so guesses ran at the connection rate. Now every failure past the free ones
// waits (or its connection is closed unanswered past the per-address cap), while a right password
// from the same address, and a wrong one from another address, are answered at once.
TEST_F(HostileAuthTest, ConnectionPerGuessIsSlowedButNotTheRightPasswordOrOtherAddresses) {
  start_guarded({"--workers", "2"});
  const std::atomic<bool> never{false};
  // The rate the same loop reaches when the server answers at once: the right password is never
  // slowed, so it measures what guessing would reach unthrottled.
  const auto baseline_time = 1000ms;
  const GuessCounts baseline =
      Guesser(funnel_->port(), kSecret, 24, false).run(baseline_time, never, 200'000);
  ASSERT_GT(baseline.ok, 50) << describe(baseline);
  const double unthrottled_rate = baseline.ok * 1000.0 / baseline_time.count();

  std::atomic<bool> stop{false};
  GuessCounts attack;
  const auto attack_time = 3000ms;
  std::thread attacker([&] {
    attack = Guesser(funnel_->port(), "wrong-guess", 24, false).run(attack_time, stop, 200'000);
  });
  const JoinOnExit join{stop, attacker};
  // Meanwhile, from the same address, the right password is answered at once, every time.
  EXPECT_TRUE(
      wait_until([&] { return metric(scrape(), "funnel_client_auth_failures_total") > 20; }));
  for (int i = 0; i < 5; ++i) {
    const Attempt right = auth_once("127.0.0.1", funnel_->port(), kSecret);
    EXPECT_EQ(right.outcome, Outcome::kOk);
    EXPECT_LT(right.took, 500ms) << "a right password was delayed";
  }
  // And a wrong password from another address is answered at once (its first failure is free).
  const Attempt other = auth_once("127.0.0.2", funnel_->port(), "typo");
  EXPECT_EQ(other.outcome, Outcome::kWrongPass);
  EXPECT_LT(other.took, 500ms) << "another address was slowed down";
  join.wait();

  const double guess_rate = attack.wrong * 1000.0 / attack_time.count();
  std::cout << "unthrottled " << unthrottled_rate << "/s (" << describe(baseline) << "); guessing "
            << guess_rate << " answered/s (" << describe(attack) << ")\n";
  // Far below the unthrottled rate, and within what the settings allow: 3 free failures, then
  // at most 16 held at once for the address, each for at least 100 ms.
  EXPECT_LT(guess_rate * 20, unthrottled_rate) << describe(attack);
  EXPECT_LE(attack.wrong, 3 + 16 * (attack_time / 100ms)) << describe(attack);
  EXPECT_EQ(attack.ok + attack.other + attack.max_clients, 0) << describe(attack);

  const std::string text = scrape();
  EXPECT_GT(metric(text, "funnel_client_auth_delayed_total"), 0) << text;
  EXPECT_GT(metric(text, "funnel_client_connections_closed_total{reason=\"auth_guessing\"}"), 0);
}

// More connections than max_clients, each guessing again and again: before the fix every one
// was answered and kept (paused between guesses), and these throttled sessions filled
// max_clients so honest clients were refused. Now a connection gets one held answer past the
// free failures and its next failure closes it; past 16 held, failing connections close at once.
TEST_F(HostileAuthTest, ThrottledSessionsDoNotFillMaxClients) {
  start_guarded({"--workers", "2", "--max-clients", "40"});
  std::atomic<bool> stop{false};
  GuessCounts attack;
  std::thread attacker([&] {
    attack = Guesser(funnel_->port(), "wrong-guess", 50, true).run(4000ms, stop, 100'000);
  });
  const JoinOnExit join{stop, attacker};
  EXPECT_TRUE(
      wait_until([&] { return metric(scrape(), "funnel_client_auth_failures_total") >= 30; }));
  // A normal client from the same address connects, authenticates at once and is served.
  std::string last;
  const bool served = wait_until(
      [&] {
        try {
          RespConnection c(funnel_->port());
          const resp::Value auth = c.command({"AUTH", kSecret});
          last = auth.str;
          return auth.str == "OK" && c.command({"PING"}).str == "PONG";
        } catch (const std::exception& e) {
          last = e.what();
          return false;
        }
      },
      3s);
  stop = true;
  join.wait();
  EXPECT_TRUE(served) << "an honest client was refused: " << last << "; " << describe(attack);
}

// On one connection: the free failures are answered at once; past them the WRONGPASS is held
// for the delay, in its place among the connection's replies (what is pipelined behind it is
// read only after it), and the connection's next failure closes it unanswered. HELLO ... AUTH
// counts the same. A right password is never held, even from an address over its budget.
TEST_F(HostileAuthTest, FailuresPastTheBudgetAreHeldInOrderThenClosed) {
  start_guarded({"--workers", "1"});
  RespConnection first(funnel_->port());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(first.command({"AUTH", "free-" + std::to_string(i)}).str, kWrongPass);

  RespConnection held(funnel_->port());
  const auto started = Clock::now();
  held.send_raw(encode_command({"GET", "k"}) + encode_command({"AUTH", "fourth"}) +
                encode_command({"PING"}));
  EXPECT_EQ(held.read_value().str, "NOAUTH Authentication required.");
  EXPECT_EQ(held.read_value().str, kWrongPass);
  EXPECT_GE(Clock::now() - started, 100ms) << "the WRONGPASS past the budget was not held";
  EXPECT_EQ(held.read_value().str, "NOAUTH Authentication required.");
  held.send_raw(encode_command({"AUTH", "keeps-failing"}) + encode_command({"PING"}));
  EXPECT_TRUE(held.closed_by_peer()) << "a connection that keeps failing stays open";
  EXPECT_EQ(held.buffered(), "") << "a second failure past the budget was answered";

  RespConnection hello(funnel_->port());
  const auto hello_started = Clock::now();
  EXPECT_EQ(hello.command({"HELLO", "3", "AUTH", "default", "fifth"}).str, kWrongPass);
  EXPECT_GE(Clock::now() - hello_started, 100ms) << "HELLO AUTH failures are not held";

  // The first connection (three failures, still open) now sends the right password: at once.
  const auto right_started = Clock::now();
  EXPECT_EQ(first.command({"AUTH", kSecret}).str, "OK");
  EXPECT_LT(Clock::now() - right_started, 500ms);
  EXPECT_EQ(first.command({"PING"}).str, "PONG");
}

// ---- Item 8: the admin listener -------------------------------------------------------------

// 1,100 admin connections that send part of a header and stay. Before the fix each held a
// descriptor forever: with the descriptor limit near what Funnel holds, Redis clients were
// refused. Now at most admin.max_connections are held, each closed within admin.header_timeout_ms
// (5 s); connections past the cap are closed at once, so /metrics answers again once the idle
// ones have timed out (not while all the slots are taken).
TEST_F(HostileAuthTest, IdleAdminConnectionsAreCappedAndTimedOut) {
  start_guarded({"--workers", "1"});
  RespConnection before(funnel_->port());
  ASSERT_EQ(before.command({"AUTH", kSecret}).str, "OK");
  const std::size_t baseline = open_descriptors(funnel_->pid());
  ASSERT_GT(baseline, 0u);
  // Room for the cap (64) and some clients, far less than the flood.
  rlimit current{};
  ASSERT_EQ(::prlimit(funnel_->pid(), RLIMIT_NOFILE, nullptr, &current), 0);
  const rlimit lowered{baseline + 200, current.rlim_max};
  ASSERT_EQ(::prlimit(funnel_->pid(), RLIMIT_NOFILE, &lowered, nullptr), 0);

  const int flood = reduced_scale() ? 400 : 1100;
  const std::string partial = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  std::vector<int> idle;
  std::size_t peak = 0;
  const auto flood_started = Clock::now();
  for (int i = 0; i < flood; ++i) {
    const int fd = connect_loopback_from("127.0.0.1", admin_port_);
    if (fd < 0) continue;
    ::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
    idle.push_back(fd);
    if (i % 50 == 0) peak = std::max(peak, open_descriptors(funnel_->pid()));
  }
  peak = std::max(peak, open_descriptors(funnel_->pid()));
  EXPECT_LE(peak, baseline + 64 + 16) << "admin connections are not capped";

  // Redis clients still connect and are served.
  for (int i = 0; i < 20; ++i) {
    RespConnection c(funnel_->port());
    ASSERT_EQ(c.command({"AUTH", kSecret}).str, "OK") << i;
    ASSERT_EQ(c.command({"SET", "k" + std::to_string(i), "v"}).str, "OK") << i;
  }
  EXPECT_EQ(before.command({"PING"}).str, "PONG");
  // An operator's scrape gets in during the flood: it takes the place of the oldest slow one.
  EXPECT_EQ(http_get(admin_port_, "/metrics", bearer(), 2s).status, 200);
  peak = std::max(peak, open_descriptors(funnel_->pid()));
  EXPECT_LE(peak, baseline + 64 + 16) << "admin connections are not capped";

  // Every idle connection is closed within the header timeout (5 s, plus slack for the flood).
  int closed = 0;
  for (int fd : idle) {
    const auto left = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   flood_started + 5s + 3s - Clock::now()));
    char byte;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0 && ::read(fd, &byte, 1) <= 0) ++closed;
    ::close(fd);
  }
  EXPECT_EQ(closed, static_cast<int>(idle.size())) << "idle admin connections kept open";
  // And /metrics with the token answers again.
  EXPECT_TRUE(
      wait_until([&] { return http_get(admin_port_, "/metrics", bearer()).status == 200; }, 3s));
  EXPECT_LE(open_descriptors(funnel_->pid()), baseline + 4);
}

// The Bearer scheme is case-insensitive (RFC 7235); a wrong token gets 401 as soon as the header
// is read, before any body: the client is never made to send (or Funnel to wait for) one.
TEST_F(HostileAuthTest, BearerAnyCaseAndEarlyUnauthorized) {
  start_guarded({"--workers", "1"});
  for (const char* scheme : {"Bearer", "bearer", "BEARER"}) {
    const HttpReply reply =
        http_get(admin_port_, "/metrics",
                 std::string("Authorization: ") + scheme + " " + kAdminToken + "\r\n");
    EXPECT_EQ(reply.status, 200) << scheme;
  }
  EXPECT_EQ(http_get(admin_port_, "/metrics", "Authorization: Bearer wrong\r\n").status, 401);
  EXPECT_EQ(http_get(admin_port_, "/metrics").status, 401);

  const int fd = connect_loopback_from("127.0.0.1", admin_port_);
  ASSERT_GE(fd, 0);
  const std::string head =
      "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer wrong\r\n"
      "Content-Length: 1000000\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string got;
  const auto deadline = Clock::now() + 3s;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    got.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 401")) << printable(got);
}

// The limits are settings: an idle keep-alive connection is closed after admin.idle_timeout_ms,
// a slow header after admin.header_timeout_ms, a header over admin.max_header_bytes gets 431.
TEST_F(HostileAuthTest, AdminTimeoutsAndHeaderCapAreSettings) {
  start_guarded({"--config", dir_.write("admin.toml",
                                        "[admin]\nheader_timeout_ms = 500\nidle_timeout_ms = 300\n"
                                        "max_header_bytes = 2048\n")});
  // Keep-alive: one request answered, then closed when idle.
  int fd = connect_loopback_from("127.0.0.1", admin_port_);
  ASSERT_GE(fd, 0);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n" + bearer() + "\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string line;
  read_line_reply(fd, 3s, &line);
  EXPECT_EQ(line, "HTTP/1.1 200 OK");
  const auto idle_started = Clock::now();
  char chunk[4096];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 3000) > 0 && ::read(fd, chunk, sizeof chunk) > 0) {
  }
  EXPECT_LT(Clock::now() - idle_started, 2s) << "idle keep-alive connection not closed";
  ::close(fd);

  // A header that never ends.
  fd = connect_loopback_from("127.0.0.1", admin_port_);
  ASSERT_GE(fd, 0);
  const auto slow_started = Clock::now();
  ::send(fd, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
  p = {fd, POLLIN, 0};
  while (::poll(&p, 1, 3000) > 0 && ::read(fd, chunk, sizeof chunk) > 0) {
  }
  EXPECT_LT(Clock::now() - slow_started, 2s) << "slow header not timed out";
  ::close(fd);

  // A header larger than the cap.
  const HttpReply big =
      http_get(admin_port_, "/metrics", bearer() + "X-Big: " + std::string(4096, 'b') + "\r\n");
  EXPECT_EQ(big.status, 431);
}

}  // namespace
}  // namespace funnel::test
