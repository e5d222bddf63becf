// Seeding and settling (see backend_setup.hpp). Synchronous Asio calls driven by a private
// io_context with run_for(), so a silent endpoint cannot hang the tool.
#include "storm/backend_setup.hpp"

#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "resp/reply_framer.hpp"
#include "resp/value.hpp"
#include "storm/info_fields.hpp"

namespace funnel::storm {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string bulk(std::string_view s) {
  return fmt::format("${}\r\n{}\r\n", s.size(), s);
}

// Sends request (count replies expected) and returns the replies, or throws.
std::vector<resp::Value> exchange(const tcp::endpoint& endpoint, const std::string& request,
                                  std::size_t count, std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  std::vector<resp::Value> replies;
  std::string in;
  std::string error;
  // The first failure is the one worth reporting (a refused connect also fails the read).
  auto fail = [&](const boost::system::error_code& ec) {
    if (error.empty()) error = ec.message();
  };
  socket.async_connect(endpoint, [&](boost::system::error_code ec) {
    if (ec) {
      fail(ec);
      return;
    }
    asio::async_write(socket, asio::buffer(request),
                      [&](boost::system::error_code wec, std::size_t) {
                        if (wec) fail(wec);
                      });
  });
  std::array<char, 16384> chunk;
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        fail(ec);
        return;
      }
      in.append(chunk.data(), n);
      std::size_t consumed = 0;
      resp::Value value;
      while (replies.size() < count &&
             resp::parse_value(in, value, consumed) == resp::ValueStatus::kComplete) {
        replies.push_back(std::move(value));
        in.erase(0, consumed);
      }
      if (replies.size() < count) read_more();
    });
  };
  read_more();
  io.run_for(timeout);
  if (replies.size() < count) {
    throw std::runtime_error(fmt::format("{}:{} did not answer ({})",
                                         endpoint.address().to_string(), endpoint.port(),
                                         error.empty() ? "timed out" : error));
  }
  return replies;
}

}  // namespace

void seed_hash(const tcp::endpoint& endpoint, const CommandMix& mix) {
  constexpr int kBatch = 500;
  const std::string value(static_cast<std::size_t>(mix.value_size), 'v');
  for (int first = 0; first < mix.fields; first += kBatch) {
    const int last = std::min(mix.fields, first + kBatch);
    std::string request =
        fmt::format("*{}\r\n", 2 + 2 * (last - first)) + bulk("HSET") + bulk(mix.key);
    for (int i = first; i < last; ++i) request += bulk(fmt::format("user:{}", i)) + bulk(value);
    std::vector<resp::Value> replies;
    try {
      replies = exchange(endpoint, request, 1, std::chrono::seconds(30));
    } catch (const std::exception& e) {
      throw std::runtime_error(
          fmt::format("cannot seed the hash {} (--no-seed-data skips it): {}", mix.key, e.what()));
    }
    if (replies[0].is_error()) {
      throw std::runtime_error(fmt::format("seeding {} failed: {}", mix.key, replies[0].str));
    }
  }
}

std::optional<std::int64_t> backend_connected_clients(const tcp::endpoint& endpoint) {
  try {
    const auto replies =
        exchange(endpoint, "*2\r\n$4\r\nINFO\r\n$7\r\nclients\r\n", 1, std::chrono::seconds(2));
    const auto text = replies[0].as_string();
    if (!text) return std::nullopt;
    return info_field(*text, "connected_clients");
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::int64_t> wait_for_clients_at_most(const tcp::endpoint& endpoint,
                                                     std::int64_t clients,
                                                     std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::optional<std::int64_t> seen;
  while (std::chrono::steady_clock::now() < until) {
    seen = backend_connected_clients(endpoint);
    if (seen && *seen <= clients) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
}

}  // namespace funnel::storm
