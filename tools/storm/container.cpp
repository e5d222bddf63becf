// A container process (see container.hpp): the strategies live here. per-invocation connects,
// runs the commands, thinks, QUITs; leaky-singleton connects and never closes; pooled keeps one
// connection for the container's life and reconnects only after a failure.
#include "storm/container.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "storm/hot_key.hpp"
#include "storm/redis_connection.hpp"
#include "storm/wire.hpp"

namespace funnel::storm {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChannelFd = 3;

std::uint32_t micros_since(Clock::time_point start) {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

std::string bulk(std::string_view s) {
  return fmt::format("${}\r\n{}\r\n", s.size(), s);
}

class Container {
 public:
  Container(asio::io_context& io, const ContainerSetup& setup)
      : io_(io),
        scenario_(*setup.scenario),
        target_(setup.target),
        channel_(io),
        rng_(setup.scenario->seed * 7919 + static_cast<std::uint64_t>(setup.id)),
        value_(static_cast<std::size_t>(setup.scenario->mix.value_size), 'v'),
        zipf_(setup.scenario->hot.keys, setup.scenario->hot.zipf_s) {
    channel_.assign(asio::local::stream_protocol(), kChannelFd);
  }

  asio::awaitable<void> serve();

 private:
  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(scenario_.timeout_ms);
  }
  std::string next_request();
  asio::awaitable<ErrorKind> run_commands(RedisConnection& connection);
  asio::awaitable<ErrorKind> run_hot_reads(RedisConnection& connection, ResultMessage& result);
  // The connection this invocation uses, per strategy; nullptr with error set when none.
  asio::awaitable<RedisConnection*> acquire(ErrorKind& error);
  void release(RedisConnection* connection, ErrorKind error);
  asio::awaitable<ResultMessage> invoke(std::uint32_t index);
  std::uint32_t open_connections() const;

  asio::io_context& io_;
  const Scenario& scenario_;
  asio::ip::tcp::endpoint target_;
  asio::local::stream_protocol::socket channel_;
  std::mt19937_64 rng_;
  std::string value_;
  ZipfDistribution zipf_;  // the hot-key workload's ranks
  std::string reply_;
  std::unique_ptr<RedisConnection> current_;              // per-invocation and pooled
  std::vector<std::unique_ptr<RedisConnection>> leaked_;  // leaky-singleton
};

std::string Container::next_request() {
  const auto& mix = scenario_.mix;
  std::uniform_int_distribution<int> field(0, mix.fields - 1);
  std::uniform_real_distribution<double> coin(0, 1);
  const std::string name = fmt::format("user:{}", field(rng_));
  if (coin(rng_) < mix.write_ratio) {
    return "*4\r\n" + bulk("HSET") + bulk(mix.key) + bulk(name) + bulk(value_);
  }
  return "*3\r\n" + bulk("HGET") + bulk(mix.key) + bulk(name);
}

asio::awaitable<ErrorKind> Container::run_commands(RedisConnection& connection) {
  for (int i = 0; i < scenario_.mix.commands; ++i) {
    const ErrorKind error = co_await connection.command(next_request(), timeout());
    if (error != ErrorKind::kNone) co_return error;
  }
  co_return ErrorKind::kNone;
}

// The hot-key workload: GETs of Zipf-drawn keys, each with its start time and the version it
// returned, for the coordinator's stale-read check.
asio::awaitable<ErrorKind> Container::run_hot_reads(RedisConnection& connection,
                                                    ResultMessage& result) {
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < scenario_.mix.commands; ++i) {
    const int rank = zipf_.rank(u(rng_));
    const std::string key = hot_key_name(scenario_.hot, rank);
    const std::string request = "*2\r\n" + bulk("GET") + bulk(key);
    HotRead& read = result.hot_reads[result.reads];
    read.key = static_cast<std::uint32_t>(rank);
    read.start_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
            .count();
    const ErrorKind error = co_await connection.command(request, timeout(), reply_);
    if (error != ErrorKind::kNone) co_return error;
    const auto version = parse_hot_version(reply_);
    read.version = version.value_or(0);
    read.versioned = version ? 1 : 0;
    ++result.reads;
  }
  co_return ErrorKind::kNone;
}

asio::awaitable<RedisConnection*> Container::acquire(ErrorKind& error) {
  error = ErrorKind::kNone;
  if (scenario_.strategy == Strategy::kPooled && current_ && current_->holds_descriptor()) {
    co_return current_.get();
  }
  auto connection = std::make_unique<RedisConnection>(io_);
  error = co_await connection->connect(target_, timeout());
  RedisConnection* raw = connection.get();
  if (scenario_.strategy == Strategy::kLeakySingleton) {
    // The leaked client keeps its descriptor whatever happened after the socket was opened.
    if (raw->holds_descriptor()) leaked_.push_back(std::move(connection));
    co_return error == ErrorKind::kNone ? raw : nullptr;
  }
  current_ = std::move(connection);
  co_return error == ErrorKind::kNone ? raw : nullptr;
}

void Container::release(RedisConnection* connection, ErrorKind error) {
  if (scenario_.strategy == Strategy::kLeakySingleton) return;
  if (scenario_.strategy == Strategy::kPooled && error == ErrorKind::kNone) return;
  if (current_) current_->close();
  current_.reset();
}

std::uint32_t Container::open_connections() const {
  std::uint32_t n = 0;
  for (const auto& c : leaked_) n += c->holds_descriptor() ? 1 : 0;
  if (current_ && current_->holds_descriptor()) ++n;
  return n;
}

asio::awaitable<ResultMessage> Container::invoke(std::uint32_t index) {
  const auto start = Clock::now();
  ResultMessage result;
  result.index = index;
  ErrorKind error = ErrorKind::kNone;
  RedisConnection* connection = co_await acquire(error);
  if (connection != nullptr) {
    error = scenario_.workload == Workload::kHotKey ? co_await run_hot_reads(*connection, result)
                                                    : co_await run_commands(*connection);
  }
  result.redis_us = micros_since(start);
  if (error == ErrorKind::kNone && scenario_.think_ms > 0) {
    SteadyTimer think(io_, std::chrono::milliseconds(scenario_.think_ms));
    co_await think.async_wait(asio::use_awaitable);
  }
  if (error == ErrorKind::kNone && scenario_.strategy == Strategy::kPerInvocation) {
    const auto quit_start = Clock::now();
    co_await connection->quit(timeout());
    result.redis_us += micros_since(quit_start);
  }
  release(connection, error);
  result.error = static_cast<std::uint8_t>(error);
  result.duration_us = micros_since(start);
  result.open_connections = open_connections();
  co_return result;
}

asio::awaitable<void> Container::serve() {
  boost::system::error_code ec;
  while (true) {
    JobMessage job;
    co_await asio::async_read(channel_, asio::buffer(&job, sizeof job),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec || job.kind != JobKind::kInvoke) break;
    const ResultMessage result = co_await invoke(job.index);
    co_await asio::async_write(channel_, asio::buffer(&result, sizeof result),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  for (auto& c : leaked_) c->close();
  if (current_) current_->close();
}

void prepare_process(const ContainerSetup& setup) {
  // Die with the coordinator, whatever ends it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != setup.coordinator_pid) ::_exit(1);  // it ended before prctl took effect
  std::signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the coordinator, which shuts containers down
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGTERM, SIG_DFL);  // not the coordinator's handler, inherited through fork
  if (setup.channel_fd != kChannelFd) {
    ::dup2(setup.channel_fd, kChannelFd);
  } else {
    ::fcntl(kChannelFd, F_SETFD, 0);
  }
  ::close_range(kChannelFd + 1, ~0U, 0);
  const rlimit limit{static_cast<rlim_t>(setup.scenario->fd_limit),
                     static_cast<rlim_t>(setup.scenario->fd_limit)};
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

void run_container(const ContainerSetup& setup) {
  prepare_process(setup);
  {
    asio::io_context io(1);
    Container container(io, setup);
    asio::co_spawn(io, container.serve(), asio::detached);
    io.run();
  }
  ::_exit(0);
}

}  // namespace funnel::storm
