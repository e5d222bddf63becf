// http_request: Beast over a private io_context, one coroutine per exchange, the stream's own
// expiry as the timeout (see http_client.hpp).
#include "aws/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace funnel::aws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;

bool split_url(std::string_view url, UrlParts& parts) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    parts.tls = false;
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    parts.tls = true;
    rest = url.substr(8);
  } else {
    return false;
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  parts.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    parts.host = std::string(authority.substr(1, close - 1));
    colon = authority.find(':', close);
  } else {
    parts.host = std::string(authority.substr(0, colon));
  }
  parts.port = colon == std::string_view::npos ? (parts.tls ? "443" : "80")
                                               : std::string(authority.substr(colon + 1));
  return !parts.host.empty() && !parts.port.empty();
}

namespace {

http::request<http::string_body> make_message(const HttpRequest& request, const UrlParts& url) {
  http::request<http::string_body> message;
  message.method_string(request.method);
  message.target(url.target);
  message.version(11);
  message.set(http::field::host, url.host);
  message.set(http::field::connection, "close");
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  message.prepare_payload();
  return message;
}

template <typename Stream>
awaitable<void> exchange(Stream& stream, const http::request<http::string_body>& message,
                         HttpResponse& out) {
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  auto [write_error, written] =
      co_await http::async_write(stream, message, asio::as_tuple(use_awaitable));
  (void)written;
  if (write_error) {
    out.error = "write: " + write_error.message();
    co_return;
  }
  auto [read_error, read] =
      co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
  (void)read;
  if (read_error) {
    out.error = "read: " + read_error.message();
    co_return;
  }
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
}

awaitable<bool> connect(asio::io_context& io, beast::tcp_stream& stream, const UrlParts& url,
                        HttpResponse& out) {
  asio::ip::tcp::resolver resolver(io);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(url.host, url.port, asio::as_tuple(use_awaitable));
  if (resolve_error) {
    out.error = "resolve " + url.host + ": " + resolve_error.message();
    co_return false;
  }
  auto [connect_error, endpoint] =
      co_await stream.async_connect(endpoints, asio::as_tuple(use_awaitable));
  (void)endpoint;
  if (connect_error) {
    out.error = "connect " + url.host + ":" + url.port + ": " + connect_error.message();
    co_return false;
  }
  co_return true;
}

awaitable<void> run_plain(asio::io_context& io, const HttpRequest& request, const UrlParts& url,
                          HttpResponse& out) {
  beast::tcp_stream stream(io);
  stream.expires_after(request.timeout);
  if (!co_await connect(io, stream, url, out)) co_return;
  co_await exchange(stream, make_message(request, url), out);
}

awaitable<void> run_tls(asio::io_context& io, const HttpRequest& request, const UrlParts& url,
                        HttpResponse& out) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_default_verify_paths();
  context.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  beast::get_lowest_layer(stream).expires_after(request.timeout);
  SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  if (!co_await connect(io, beast::get_lowest_layer(stream), url, out)) co_return;
  auto [handshake_error] = co_await stream.async_handshake(asio::ssl::stream_base::client,
                                                           asio::as_tuple(use_awaitable));
  if (handshake_error) {
    out.error = "TLS handshake with " + url.host + ": " + handshake_error.message();
    co_return;
  }
  co_await exchange(stream, make_message(request, url), out);
}

}  // namespace

HttpResponse http_request(const HttpRequest& request) {
  HttpResponse out;
  UrlParts url;
  if (!split_url(request.url, url)) {
    out.error = "not an http(s) URL: " + request.url;
    return out;
  }
  asio::io_context io(1);
  auto body = url.tls ? run_tls(io, request, url, out) : run_plain(io, request, url, out);
  asio::co_spawn(io, std::move(body), asio::detached);
  io.run();  // the stream's expiry bounds every step, so this returns within the timeout
  return out;
}

}  // namespace funnel::aws
