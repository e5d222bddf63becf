// AdminHttp: a small HTTP/1.1 server with Beast and coroutines; one request at a time per
// connection, keep-alive, bounded request size.
#include "server/admin_http.hpp"

#include <openssl/crypto.h>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace funnel::server {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

// Constant-time over the token's length: the time taken does not reveal how much matched.
bool authorized(const http::request<http::empty_body>& request,
                const std::optional<std::string>& token) {
  if (!token) return true;
  const auto header = request[http::field::authorization];
  const std::string expected = "Bearer " + *token;
  return header.size() == expected.size() &&
         CRYPTO_memcmp(header.data(), expected.data(), expected.size()) == 0;
}

asio::awaitable<void> serve(tcp::socket socket, const AdminHttp::Handler& handler,
                            const std::optional<std::string>& token) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    boost::system::error_code ec;
    co_await http::async_read(socket, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    const auto& request = parser.get();
    AdminResponse answer;
    const bool allowed = authorized(request, token);
    if (!allowed) {
      answer = {401, "text/plain; charset=utf-8",
                "unauthorized: send the admin token as \"Authorization: Bearer <token>\"\n"};
    } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
      answer = {405, "text/plain; charset=utf-8", "only GET is served here\n"};
    } else {
      std::string path(request.target());
      path = path.substr(0, path.find('?'));
      answer = handler(path);
    }
    http::response<http::string_body> response{static_cast<http::status>(answer.status),
                                               request.version()};
    response.set(http::field::server, "funnel");
    response.set(http::field::content_type, answer.content_type);
    if (!allowed) response.set(http::field::www_authenticate, "Bearer");
    response.keep_alive(request.keep_alive());
    if (request.method() != http::verb::head) response.body() = std::move(answer.body);
    response.prepare_payload();
    co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) co_return;
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, const AdminHttp::Handler& handler,
                                  const std::optional<std::string>& token) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), handler, token),
                   asio::detached);
  }
}
}  // namespace

struct AdminHttp::Impl {
  config::HostPort listen;
  Handler handler;
  std::optional<std::string> token;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
};

AdminHttp::AdminHttp(const config::HostPort& listen, Handler handler,
                     std::optional<std::string> token)
    : impl_(std::make_unique<Impl>()) {
  impl_->listen = listen;
  impl_->handler = std::move(handler);
  impl_->token = std::move(token);
}

AdminHttp::~AdminHttp() {
  stop();
}

void AdminHttp::start() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->listen.host, ec);
  if (ec) {
    throw std::runtime_error("admin.listen = " + impl_->listen.to_string() +
                             ": not an IP address (use e.g. 127.0.0.1)");
  }
  const tcp::endpoint endpoint(address, impl_->listen.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on admin.listen = " + impl_->listen.to_string() + ": " +
                             ec.message());
  }
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, accept_loop(impl_->acceptor, impl_->handler, impl_->token),
                 asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
  spdlog::info("admin HTTP on {} (/metrics /healthz /readyz /backends /stats){}",
               impl_->listen.to_string(), impl_->token ? ", bearer token required" : "");
}

void AdminHttp::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] { impl_->io.stop(); });
  impl_->thread.join();
}

}  // namespace funnel::server
