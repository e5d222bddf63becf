// Hot restart and binary upgrade (issue #17, item 4; docs/deployment.md): `funnel --takeover`
// takes the running Funnel's listening sockets over server.takeover_socket; the old one stops
// accepting, answers what is in flight, closes its idle clients spread over
// server.takeover_drain_ms and exits 0. Under steady load: no refused connect, no failed request
// (a connection closed between requests is re-opened and its pair sent again), and the backend
// sees no burst of new connections (the clients reconnect to Funnel, not to Redis).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "harness.hpp"
#include "takeover_load.hpp"

namespace funnel::test {
namespace {

constexpr int kWorkers = 2;
constexpr int kDrainMs = 4000;

std::uint64_t total_connections(RespConnection& redis) {
  const std::string info = redis.command({"INFO", "stats"}).str;
  const std::string field = "total_connections_received:";
  return std::stoull(info.substr(info.find(field) + field.size()));
}

// total_connections_received sampled every 100 ms on one connection of its own.
class ConnectionRate {
 public:
  explicit ConnectionRate(std::uint16_t redis_port) : redis_(redis_port) {
    thread_ = std::thread([this] {
      std::uint64_t last = total_connections(redis_);
      while (!stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the sampling period
        const std::uint64_t now = total_connections(redis_);
        std::lock_guard lock(mutex_);
        deltas_.push_back(now - last);
        last = now;
      }
    });
  }
  ~ConnectionRate() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t mark() {
    std::lock_guard lock(mutex_);
    return deltas_.size();
  }
  // The largest 100 ms delta in [from, to).
  std::uint64_t peak(std::size_t from, std::size_t to) {
    std::lock_guard lock(mutex_);
    std::uint64_t most = 0;
    for (std::size_t i = from; i < std::min(to, deltas_.size()); ++i)
      most = std::max(most, deltas_[i]);
    return most;
  }

 private:
  RespConnection redis_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::uint64_t> deltas_;
};

class TakeoverTest : public ::testing::Test {
 protected:
  void SetUp() override { redis_ = RedisServer::start(); }

  std::vector<std::string> args(std::uint16_t port) const {
    return {"--backend",
            backend_arg(redis_->port()),
            "--listen",
            "127.0.0.1:" + std::to_string(port),
            "--workers",
            std::to_string(kWorkers),
            "--takeover-socket",
            socket_path_,
            "--takeover-drain-ms",
            std::to_string(kDrainMs)};
  }
  std::vector<std::string> takeover_args(std::uint16_t port) const {
    auto given = args(port);
    given.push_back("--takeover");
    return given;
  }
  // Waits for a process to end on its own and returns its exit status.
  static int wait_exit(FunnelProcess& process, std::chrono::milliseconds timeout) {
    EXPECT_TRUE(wait_until([&] { return !process.alive(); }, timeout)) << process.log_text();
    return process.stop();
  }
  void run_under_load(const std::string& new_binary);

  TempDir dir_{"funnel-takeover"};
  std::string socket_path_ = dir_.file("takeover.sock");
  std::unique_ptr<RedisServer> redis_;
};

void TakeoverTest::run_under_load(const std::string& new_binary) {
  const int clients = reduced_scale() ? 200 : 1000;
  auto old_funnel = FunnelProcess::start(args(free_port()));
  const std::uint16_t port = old_funnel->port();
  ConnectionRate rate(redis_->port());
  TakeoverLoad load(port, clients, 8);
  ASSERT_TRUE(
      wait_until([&] { return load.counts().ok >= static_cast<std::uint64_t>(clients); }, 30s))
      << load.summary();
  const std::size_t steady_from = rate.mark();
  ASSERT_TRUE(wait_until([&] { return rate.mark() >= steady_from + 10; }));  // a second of load
  const std::size_t takeover_at = rate.mark();

  auto new_funnel = FunnelProcess::start_binary(new_binary, takeover_args(port));
  const int old_status = wait_exit(*old_funnel, std::chrono::milliseconds(kDrainMs) + 30s);
  EXPECT_EQ(old_status, 0) << old_funnel->log_text();
  const std::size_t after_from = rate.mark();
  const std::uint64_t ok_at_exit = load.counts().ok;
  ASSERT_TRUE(wait_until([&] { return rate.mark() >= after_from + 10; }));
  ASSERT_TRUE(wait_until([&] { return load.counts().ok >= ok_at_exit + clients; }, 30s))
      << load.summary();
  load.stop();
  rate.stop();

  const auto& counts = load.counts();
  EXPECT_EQ(counts.refused, 0u) << load.summary();
  EXPECT_EQ(counts.connect_errors, 0u) << load.summary();
  EXPECT_EQ(counts.failed, 0u) << load.summary();
  EXPECT_EQ(counts.mismatches, 0u) << load.summary();
  // Every client moved: it was closed by the old Funnel once (between requests) and reconnected.
  EXPECT_GE(counts.idle_closes, static_cast<std::uint64_t>(clients)) << load.summary();
  // ... gradually: no second of the window took more than half of them.
  std::map<std::int64_t, int> per_second;
  for (std::int64_t at : load.idle_close_times()) ++per_second[at / 1000];
  int most_per_second = 0;
  for (const auto& [second, closes] : per_second) {
    EXPECT_LE(closes, clients / 2) << "second " << second << " of the load";
    most_per_second = std::max(most_per_second, closes);
  }
  // The backend's new-connection rate stays flat: the new Funnel's own links (one per worker and
  // protocol, a control link, a spare) and nothing for the clients that moved.
  const std::uint64_t steady = rate.peak(steady_from, takeover_at);
  const std::uint64_t during = rate.peak(takeover_at, after_from);
  const std::uint64_t after = rate.peak(after_from, rate.mark());
  const std::uint64_t budget = 4 * kWorkers + 4;
  std::printf(
      "takeover figures: %d clients, %llu SET/GET pairs checked, refused %llu, failed %llu, idle "
      "closes %llu (at most %d in one second), backend connections per 100 ms peak: before %llu, "
      "during %llu, after %llu\n",
      clients, static_cast<unsigned long long>(counts.ok.load()),
      static_cast<unsigned long long>(counts.refused.load()),
      static_cast<unsigned long long>(counts.failed.load()),
      static_cast<unsigned long long>(counts.idle_closes.load()), most_per_second,
      static_cast<unsigned long long>(steady), static_cast<unsigned long long>(during),
      static_cast<unsigned long long>(after));
  EXPECT_LE(during, steady + budget);
  EXPECT_LE(after, steady + budget);
  // The new one serves on and answers.
  RespConnection check(port);
  EXPECT_EQ(check.command({"PING"}).str, "PONG");
  EXPECT_EQ(new_funnel->stop(), 0) << new_funnel->log_text();
}

TEST_F(TakeoverTest, UnderSteadyLoadNoConnectIsRefusedNoRequestFailsAndTheBackendSeesNoBurst) {
  run_under_load(FunnelProcess::binary_path());
}

// A binary upgrade: the new process runs another file (a copy stands in for the new version).
TEST_F(TakeoverTest, ABinaryUpgradeUnderLoadIsTheSame) {
  const std::string copy = dir_.file("funnel-new");
  std::filesystem::copy_file(FunnelProcess::binary_path(), copy);
  std::filesystem::permissions(copy, std::filesystem::perms::owner_all);
  run_under_load(copy);
}

// Connections queued in the kernel while no process accepts (the new one stopped, the old one
// handed over) are accepted by the new one when it runs: the queue belongs to the socket, which
// both hold, so none is refused or reset.
TEST_F(TakeoverTest, ConnectionsQueuedAcrossTheSwitchAreAcceptedByTheNewProcess) {
  auto old_funnel = FunnelProcess::start(args(free_port()));
  const std::uint16_t port = old_funnel->port();
  auto new_funnel = FunnelProcess::start(takeover_args(port));
  ASSERT_TRUE(wait_until(
      [&] { return old_funnel->log_text().find("this one accepts no more") != std::string::npos; },
      30s))
      << old_funnel->log_text() << new_funnel->log_text();
  new_funnel->signal(SIGSTOP);
  std::vector<std::unique_ptr<RespConnection>> queued;
  for (int i = 0; i < 20; ++i) {
    queued.push_back(std::make_unique<RespConnection>(port));  // throws if refused
    queued.back()->send_command({"PING"});
  }
  new_funnel->signal(SIGCONT);
  for (auto& connection : queued) EXPECT_EQ(connection->read_value().str, "PONG");
  EXPECT_EQ(wait_exit(*old_funnel, std::chrono::milliseconds(kDrainMs) + 30s), 0);
  EXPECT_EQ(new_funnel->stop(), 0) << new_funnel->log_text();
}

// A datagram socket standing in for systemd's $NOTIFY_SOCKET.
class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.data(), path_.size());
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind the fake NOTIFY_SOCKET " + path_);
    }
  }
  ~FakeNotifySocket() { ::close(fd_); }
  // Datagrams until one contains `text` (returned), or "" after `timeout`.
  std::string receive_containing(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      pollfd wait{fd_, POLLIN, 0};
      if (::poll(&wait, 1, 100) != 1) continue;
      char buffer[512];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      std::string got = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
      if (got.find(text) != std::string::npos) return got;
    }
    return "";
  }

 private:
  std::string path_;
  int fd_ = -1;
};

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto state = text.find(") ");
  return state != std::string::npos && text[state + 2] == 'Z';  // exited, not yet reaped
}

// The systemd recipe (docs/deployment.md): SIGUSR2 makes Funnel start its own binary with
// --takeover; the new process tells $NOTIFY_SOCKET MAINPID=<its pid> and READY=1 (systemd follows
// it with NotifyAccess=all), the old one exits 0 without STOPPING=1.
TEST_F(TakeoverTest, Sigusr2StartsTheTakeoverAndTheNewProcessClaimsMainPid) {
  FakeNotifySocket notify(dir_.file("notify.sock"));
  ::setenv("NOTIFY_SOCKET", dir_.file("notify.sock").c_str(), 1);
  auto old_funnel = FunnelProcess::start(args(free_port()));
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_NE(notify.receive_containing("READY=1", 20s), "");
  old_funnel->signal(SIGUSR2);
  const std::string claimed = notify.receive_containing("MAINPID=", 30s);
  ASSERT_NE(claimed, "") << old_funnel->log_text();
  EXPECT_NE(claimed.find("READY=1"), std::string::npos) << claimed;
  const pid_t new_pid = std::stoi(claimed.substr(claimed.find("MAINPID=") + 8));
  EXPECT_NE(new_pid, old_funnel->pid());
  EXPECT_EQ(wait_exit(*old_funnel, std::chrono::milliseconds(kDrainMs) + 30s), 0);
  EXPECT_EQ(notify.receive_containing("STOPPING=1", 500ms), "") << "the old one said STOPPING=1";
  RespConnection check(old_funnel->port());
  EXPECT_EQ(check.command({"PING"}).str, "PONG");
  ::kill(new_pid, SIGTERM);  // not our child: its parent was the old Funnel
  EXPECT_TRUE(wait_until([&] { return process_gone(new_pid); }, 20s));
  if (!process_gone(new_pid)) ::kill(new_pid, SIGKILL);
}

TEST_F(TakeoverTest, WithoutARunningFunnelTakeoverFailsSayingSo) {
  try {
    auto lone = FunnelProcess::start(takeover_args(free_port()));
    FAIL() << "--takeover started with nothing to take over:\n" << lone->log_text();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("no running Funnel to take over at "
                                         "server.takeover_socket = " +
                                         socket_path_),
              std::string::npos)
        << e.what();
  }
}

TEST_F(TakeoverTest, ADifferentListenAddressIsRefusedAndTheRunningFunnelServesOn) {
  auto old_funnel = FunnelProcess::start(args(free_port()));
  try {
    auto other = FunnelProcess::start(takeover_args(free_port()));
    FAIL() << "a takeover onto another address started:\n" << other->log_text();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("a takeover keeps the addresses"), std::string::npos)
        << e.what();
  }
  RespConnection check(old_funnel->port());
  EXPECT_EQ(check.command({"PING"}).str, "PONG");
  EXPECT_TRUE(old_funnel->alive());
  EXPECT_EQ(old_funnel->stop(), 0) << old_funnel->log_text();
}

}  // namespace
}  // namespace funnel::test
