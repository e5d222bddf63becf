// INFO sampling (see sampler.hpp).
#include "storm/sampler.hpp"

#include <array>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "resp/reply_framer.hpp"
#include "resp/value.hpp"
#include "storm/info_fields.hpp"

namespace funnel::storm {
namespace {
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kInfo = "*3\r\n$4\r\nINFO\r\n$7\r\nclients\r\n$5\r\nstats\r\n";
// Funnel adds its section for INFO, INFO all/everything/default and INFO funnel.
constexpr std::string_view kFunnelInfo = "*2\r\n$4\r\nINFO\r\n$6\r\nfunnel\r\n";
constexpr std::string_view kConfigMaxclients =
    "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nmaxclients\r\n";
}  // namespace

// One observer connection: a request, then its whole reply parsed.
class InfoLink {
 public:
  InfoLink(asio::io_context& io, asio::ip::tcp::endpoint endpoint)
      : endpoint_(std::move(endpoint)), socket_(io), timer_(io) {}

  asio::awaitable<std::string> connect(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    auto result = co_await (socket_.async_connect(endpoint_, kTuple) || timer_.async_wait(kTuple));
    if (result.index() == 1) co_return fmt::format("connect to {} timed out", describe());
    if (auto [ec] = std::get<0>(result); ec)
      co_return fmt::format("{}: {}", describe(), ec.message());
    co_return "";
  }

  // The reply to request, or nullopt on timeout or error (the link is then closed for good: a
  // late reply would otherwise answer the next request).
  asio::awaitable<std::optional<resp::Value>> call(std::string_view request,
                                                   std::chrono::milliseconds timeout) {
    if (!socket_.is_open()) co_return std::nullopt;
    timer_.expires_after(timeout);
    auto written = co_await (asio::async_write(socket_, asio::buffer(request), kTuple) ||
                             timer_.async_wait(kTuple));
    if (written.index() == 1 || std::get<0>(std::get<0>(written))) {
      close();
      co_return std::nullopt;
    }
    co_return co_await read_value();
  }

  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

  std::string describe() const {
    return fmt::format("{}:{}", endpoint_.address().to_string(), endpoint_.port());
  }

 private:
  asio::awaitable<std::optional<resp::Value>> read_value() {
    std::array<char, 16384> chunk;
    while (true) {
      resp::Value value;
      std::size_t consumed = 0;
      if (!in_.empty()) {
        const auto status = resp::parse_value(in_, value, consumed);
        if (status == resp::ValueStatus::kComplete) {
          in_.erase(0, consumed);
          co_return value;
        }
        if (status == resp::ValueStatus::kInvalid) break;
      }
      auto result = co_await (socket_.async_read_some(asio::buffer(chunk), kTuple) ||
                              timer_.async_wait(kTuple));
      if (result.index() == 1) break;
      auto [ec, n] = std::get<0>(result);
      if (ec) break;
      in_.append(chunk.data(), n);
    }
    close();
    co_return std::nullopt;
  }

  asio::ip::tcp::endpoint endpoint_;
  TcpSocket socket_;
  SteadyTimer timer_;
  std::string in_;
};

Sampler::Sampler(asio::io_context& io, std::optional<asio::ip::tcp::endpoint> backend,
                 std::optional<asio::ip::tcp::endpoint> funnel) {
  if (backend) backend_ = std::make_unique<InfoLink>(io, *backend);
  if (funnel) funnel_ = std::make_unique<InfoLink>(io, *funnel);
}

Sampler::~Sampler() = default;

asio::awaitable<std::string> Sampler::connect() {
  for (auto* link : {backend_.get(), funnel_.get()}) {
    if (link == nullptr) continue;
    if (auto error = co_await link->connect(std::chrono::seconds(3)); !error.empty()) {
      co_return error;
    }
  }
  co_return "";
}

asio::awaitable<std::int64_t> Sampler::backend_maxclients() {
  if (!backend_) co_return -1;
  auto reply = co_await backend_->call(kConfigMaxclients, std::chrono::seconds(2));
  if (!reply || reply->is_error() || reply->elems.size() != 2) co_return -1;
  auto text = reply->elems[1].as_string();
  if (!text) co_return -1;
  co_return info_field(fmt::format("maxclients:{}", *text), "maxclients").value_or(-1);
}

asio::awaitable<std::optional<std::int64_t>> Sampler::backend_command_calls(
    std::span<const std::string_view> commands) {
  if (!backend_) co_return std::nullopt;
  constexpr std::string_view kCommandstats = "*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n";
  auto reply = co_await backend_->call(kCommandstats, std::chrono::seconds(2));
  if (!reply || !reply->as_string()) co_return std::nullopt;
  std::int64_t calls = 0;
  for (const std::string_view command : commands)
    calls += commandstat_calls(*reply->as_string(), command);
  co_return calls;
}

asio::awaitable<InfoSample> Sampler::sample(double t_s, std::chrono::milliseconds timeout) {
  InfoSample sample;
  sample.t_s = t_s;
  if (backend_) {
    if (auto reply = co_await backend_->call(kInfo, timeout); reply && reply->as_string()) {
      const std::string_view text = *reply->as_string();
      sample.connected_clients = info_field(text, "connected_clients");
      sample.total_connections_received = info_field(text, "total_connections_received");
      sample.rejected_connections = info_field(text, "rejected_connections");
    }
  }
  if (funnel_) {
    if (auto reply = co_await funnel_->call(kFunnelInfo, timeout); reply && reply->as_string()) {
      const std::string_view text = *reply->as_string();
      sample.funnel_connected_clients = info_field(text, "funnel_connected_clients");
      sample.funnel_rejected_connections = info_field(text, "funnel_rejected_connections");
      sample.funnel_backend_links_ready = info_field(text, "funnel_backend_links_ready");
      sample.funnel_connections_per_node = info_field(text, "funnel_connections_per_node");
    }
  }
  co_return sample;
}

void Sampler::close() {
  if (backend_) backend_->close();
  if (funnel_) funnel_->close();
}

}  // namespace funnel::storm
