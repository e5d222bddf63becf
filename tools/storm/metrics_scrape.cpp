// Funnel's /metrics over HTTP/1.1 (see metrics_scrape.hpp): one request with "Connection:
// close", the response read to its end, driven by a private io_context with run_for() so a
// silent endpoint cannot hang the tool.
#include "storm/metrics_scrape.hpp"

#include <array>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>

namespace funnel::storm {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::string_view kRequest =
    "GET /metrics HTTP/1.1\r\nHost: funnel\r\nConnection: close\r\n\r\n";

}  // namespace

std::optional<std::string> fetch_funnel_metrics(const tcp::endpoint& admin,
                                                std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  std::string response;
  bool complete = false;
  std::array<char, 16384> chunk;
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, std::size_t n) {
      response.append(chunk.data(), n);
      if (ec) {
        complete = ec == asio::error::eof;
        return;
      }
      read_more();
    });
  };
  socket.async_connect(admin, [&](boost::system::error_code ec) {
    if (ec) return;
    asio::async_write(socket, asio::buffer(kRequest),
                      [&](boost::system::error_code wec, std::size_t) {
                        if (!wec) read_more();
                      });
  });
  io.run_for(timeout);
  const std::size_t body = response.find("\r\n\r\n");
  if (!complete || body == std::string::npos || response.rfind("HTTP/1.1 200", 0) != 0) {
    return std::nullopt;
  }
  return response.substr(body + 4);
}

}  // namespace funnel::storm
