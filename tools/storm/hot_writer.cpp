// The hot-key workload's writer (see hot_writer.hpp).
#include "storm/hot_writer.hpp"

#include <chrono>

#include <fmt/format.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "storm/hot_key.hpp"

namespace funnel::storm {
namespace {

using Clock = std::chrono::steady_clock;

std::string bulk(std::string_view s) {
  return fmt::format("${}\r\n{}\r\n", s.size(), s);
}

std::uint64_t wall_clock_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

HotWriter::HotWriter(asio::io_context& io, const Scenario& scenario, asio::ip::tcp::endpoint target)
    : scenario_(scenario),
      target_(std::move(target)),
      connection_(io),
      timer_(io),
      next_version_(wall_clock_us()) {}

asio::awaitable<bool> HotWriter::write(int rank) {
  const auto timeout = std::chrono::milliseconds(scenario_.timeout_ms);
  if (!connected_) {
    connection_.close();
    connected_ = co_await connection_.connect(target_, timeout) == ErrorKind::kNone;
    if (!connected_) {
      ++errors_;
      co_return false;
    }
  }
  const std::uint64_t version = next_version_++;
  const std::string request = "*3\r\n" + bulk("SET") + bulk(hot_key_name(scenario_.hot, rank)) +
                              bulk(hot_value(version, scenario_.mix.value_size));
  if (co_await connection_.command(request, timeout) != ErrorKind::kNone) {
    // The write may or may not have happened: it is not acknowledged, so it is not checked.
    ++errors_;
    connected_ = false;
    co_return false;
  }
  const std::int64_t ack_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  acks_.push_back(WriteAck{static_cast<std::uint32_t>(rank), version, ack_ns});
  co_return true;
}

asio::awaitable<std::string> HotWriter::seed() {
  for (int rank = 0; rank < scenario_.hot.keys; ++rank) {
    if (!co_await write(rank)) {
      co_return fmt::format("the hot-key writer could not write {} on {}:{}",
                            hot_key_name(scenario_.hot, rank), target_.address().to_string(),
                            target_.port());
    }
  }
  co_return "";
}

asio::awaitable<void> HotWriter::run() {
  if (scenario_.hot.write_rate <= 0) co_return;
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / scenario_.hot.write_rate));
  auto due = Clock::now();
  int next_rank = 0;
  boost::system::error_code ec;
  while (!stopped_) {
    due += period;
    timer_.expires_at(due);
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    co_await write(next_rank);
    next_rank = (next_rank + 1) % scenario_.hot.written_keys;
  }
  connection_.close();
}

void HotWriter::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace funnel::storm
