// A container's client connection (see redis_connection.hpp). Each socket operation races a
// timer with Asio's awaitable operators; the loser is cancelled before the call returns.
#include "storm/redis_connection.hpp"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace funnel::storm {
namespace {

using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kQuit = "*1\r\n$4\r\nQUIT\r\n";

}  // namespace

ErrorKind RedisConnection::classify(const boost::system::error_code& ec, Phase phase) const {
  if (ec == asio::error::eof) return classify_eof(phase);
  if (ec.category() == boost::system::system_category()) return classify_errno(ec.value(), phase);
  return ErrorKind::kOther;
}

asio::awaitable<ErrorKind> RedisConnection::connect(const asio::ip::tcp::endpoint& target,
                                                    std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  socket_.open(target.protocol(), ec);
  if (ec) co_return classify(ec, Phase::kSocket);
  timer_.expires_after(timeout);
  auto result = co_await (socket_.async_connect(target, kTuple) || timer_.async_wait(kTuple));
  if (result.index() == 1) co_return ErrorKind::kTimeout;
  if (auto [connect_ec] = std::get<0>(result); connect_ec) {
    co_return classify(connect_ec, Phase::kConnect);
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  co_return ErrorKind::kNone;
}

asio::awaitable<ErrorKind> RedisConnection::read_reply(std::chrono::milliseconds timeout,
                                                       std::size_t& reply_length) {
  const Phase phase = replied_ ? Phase::kLaterReply : Phase::kFirstReply;
  timer_.expires_after(timeout);
  std::array<char, 4096> chunk;
  while (true) {
    if (!in_.empty()) {
      const auto status = framer_.frame(in_);
      if (status == resp::FrameStatus::kComplete) break;
      if (status == resp::FrameStatus::kInvalid) co_return ErrorKind::kOther;
    }
    auto result = co_await (socket_.async_read_some(asio::buffer(chunk), kTuple) ||
                            timer_.async_wait(kTuple));
    if (result.index() == 1) co_return ErrorKind::kTimeout;
    auto [ec, n] = std::get<0>(result);
    if (ec) co_return classify(ec, phase);
    in_.append(chunk.data(), n);
  }
  replied_ = true;
  reply_length = framer_.length();
  framer_.reset();
  co_return ErrorKind::kNone;
}

asio::awaitable<ErrorKind> RedisConnection::command(std::string_view request,
                                                    std::chrono::milliseconds timeout) {
  co_return co_await exchange(request, timeout, nullptr);
}

asio::awaitable<ErrorKind> RedisConnection::command(std::string_view request,
                                                    std::chrono::milliseconds timeout,
                                                    std::string& reply) {
  co_return co_await exchange(request, timeout, &reply);
}

asio::awaitable<ErrorKind> RedisConnection::exchange(std::string_view request,
                                                     std::chrono::milliseconds timeout,
                                                     std::string* reply_out) {
  const Phase phase = replied_ ? Phase::kLaterReply : Phase::kFirstReply;
  timer_.expires_after(timeout);
  auto written = co_await (asio::async_write(socket_, asio::buffer(request), kTuple) ||
                           timer_.async_wait(kTuple));
  if (written.index() == 1) co_return ErrorKind::kTimeout;
  if (auto [ec, n] = std::get<0>(written); ec) {
    // A refused client may see its write fail (reset) before it reads the refusal.
    co_return classify(ec, phase);
  }
  std::size_t length = 0;
  const ErrorKind read_error = co_await read_reply(timeout, length);
  if (read_error != ErrorKind::kNone) co_return read_error;
  const std::string_view reply(in_.data(), length);
  if (reply_out != nullptr) reply_out->assign(reply);
  const ErrorKind reply_error =
      reply[0] == '-' || reply[0] == '!' ? classify_error_reply(reply) : ErrorKind::kNone;
  in_.erase(0, length);
  co_return reply_error;
}

asio::awaitable<void> RedisConnection::quit(std::chrono::milliseconds timeout) {
  if (co_await command(kQuit, timeout) != ErrorKind::kNone) co_return;
  // Wait for the server's FIN (EOF), bounded by the timeout.
  timer_.expires_after(timeout);
  std::array<char, 256> chunk;
  while (true) {
    auto result = co_await (socket_.async_read_some(asio::buffer(chunk), kTuple) ||
                            timer_.async_wait(kTuple));
    if (result.index() == 1) co_return;
    if (auto [ec, n] = std::get<0>(result); ec) co_return;
  }
}

void RedisConnection::close() {
  boost::system::error_code ec;
  socket_.close(ec);
  in_.clear();
  framer_.reset();
  replied_ = false;
}

}  // namespace funnel::storm
