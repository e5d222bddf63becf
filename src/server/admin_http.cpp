// AdminHttp: a small HTTP/1.1 server with Beast and coroutines; one request at a time per
// connection, keep-alive, and every wait bounded: the header by admin.header_timeout_ms, a whole
// request and its response by admin.request_timeout_ms, the wait for the next keep-alive request
// by admin.idle_timeout_ms, the header's size by admin.max_header_bytes, and the connections held
// at once by admin.max_connections. A request is answered as soon as its header is read; a body
// is never read (the admin endpoint takes none). At the cap, a new connection takes the place of
// the oldest one that is only waiting (for its header, or idle between keep-alive requests), so a
// flood of slow connections cannot keep an operator's scrape out; only when every connection is
// being answered is the new one closed.
#include "server/admin_http.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <list>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server/admin_token.hpp"

namespace funnel::server {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kReadChunk = 4096;
// After a refusal (401, 431, a body), what Funnel still reads and drops so that the answer is not
// lost to a reset (closing a socket with unread input resets it): little, and briefly.
constexpr std::size_t kLingerBytes = 64 * 1024;
constexpr milliseconds kLingerTime{500};

// One open connection, oldest first in Served::slots. `answering` while a request whose header
// has been read is being answered: such a connection is never evicted.
struct Slot {
  beast::tcp_stream* stream;
  bool answering = false;
  bool evicted = false;
};

// What the admin thread serves with, and its connections (touched on that thread only).
struct Served {
  AdminHttp::Handler handler;
  AdminToken token;
  std::size_t max_connections;
  milliseconds header_timeout;
  milliseconds request_timeout;
  milliseconds idle_timeout;
  std::size_t max_header_bytes;
  std::list<Slot> slots{};   // every connection being served, oldest first
  std::size_t evicting = 0;  // evicted connections whose coroutine has not ended yet
  Clock::time_point last_cap_warning{};
  std::size_t open() const { return slots.size() - evicting; }
};

// Keeps a connection's place in Served::slots for as long as its coroutine runs.
class SlotGuard {
 public:
  SlotGuard(Served& served, beast::tcp_stream& stream)
      : served_(served), slot_(served.slots.insert(served.slots.end(), Slot{&stream})) {}
  ~SlotGuard() {
    if (slot_->evicted) --served_.evicting;
    served_.slots.erase(slot_);
  }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  Slot& slot() { return *slot_; }

 private:
  Served& served_;
  std::list<Slot>::iterator slot_;
};

// Closes the oldest connection that is only waiting, to make room for a new one. False if every
// connection is answering a request.
bool evict_oldest_waiting(Served& served) {
  for (Slot& slot : served.slots) {
    if (slot.answering || slot.evicted) continue;
    slot.evicted = true;
    ++served.evicting;
    slot.stream->close();  // its pending read ends with an error; the coroutine then ends
    return true;
  }
  return false;
}

http::response<http::string_body> make_response(const AdminResponse& answer, unsigned version,
                                                bool head) {
  http::response<http::string_body> response{static_cast<http::status>(answer.status), version};
  response.set(http::field::server, "funnel");
  response.set(http::field::content_type, answer.content_type);
  if (!head) response.body() = answer.body;
  response.prepare_payload();
  return response;
}

AdminResponse refusal(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

// The answer to a request whose header has been read. `keep_alive` comes back false when the
// connection must close after it (a refusal, or a body Funnel did not read).
AdminResponse answer_request(const Served& served, const http::request<http::empty_body>& request,
                             bool has_body, bool& keep_alive) {
  keep_alive = false;
  if (!served.token.accepts(request[http::field::authorization])) {
    return refusal(401,
                   "unauthorized: send the admin token as \"Authorization: Bearer <token>\"\n");
  }
  if (has_body) return refusal(413, "admin requests take no body\n");
  keep_alive = request.keep_alive();
  const bool post = request.method() == http::verb::post;
  if (!post && request.method() != http::verb::get && request.method() != http::verb::head) {
    return refusal(405, "only GET, HEAD and POST are served here\n");
  }
  const std::string target(request.target());
  const std::size_t mark = target.find('?');
  return served.handler(post, target.substr(0, mark),
                        mark == std::string::npos ? std::string() : target.substr(mark + 1));
}

// Waits up to `idle` for the first bytes of the next request on a keep-alive connection.
asio::awaitable<bool> wait_for_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                       milliseconds idle) {
  stream.expires_after(idle);
  boost::system::error_code ec;
  const std::size_t n = co_await stream.async_read_some(
      buffer.prepare(kReadChunk), asio::redirect_error(asio::use_awaitable, ec));
  buffer.commit(n);
  co_return !ec && n > 0;
}

// Ends the connection after a refusal: stop sending, then read and drop what the client still
// sends, bounded in bytes and time, so that the answer reaches it before the socket closes.
asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTime);
  char sink[kReadChunk];
  for (std::size_t dropped = 0; !ec && dropped < kLingerBytes;) {
    dropped += co_await stream.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(asio::use_awaitable, ec));
  }
  stream.close();
}

asio::awaitable<void> write_answer(beast::tcp_stream& stream, const AdminResponse& answer,
                                   unsigned version, bool head, bool keep_alive, bool& ok) {
  auto response = make_response(answer, version, head);
  if (answer.status == 401) response.set(http::field::www_authenticate, "Bearer");
  response.keep_alive(keep_alive);
  boost::system::error_code ec;
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  ok = !ec;
}

// One request on the connection: reads its header within the header timeout, answers it within
// the request timeout. Returns false when the connection is done.
asio::awaitable<bool> serve_one(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                const Served& served, Slot& slot) {
  const Clock::time_point deadline = Clock::now() + served.request_timeout;
  stream.expires_at(std::min(Clock::now() + served.header_timeout, deadline));
  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(served.max_header_bytes));
  boost::system::error_code ec;
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  stream.expires_at(deadline);
  bool ok = false;
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    co_await write_answer(stream, refusal(431, "request header too large\n"), 11, false, false, ok);
    co_await linger_close(stream);
    co_return false;
  }
  if (ec || slot.evicted) co_return false;  // timed out, closed, evicted or not HTTP
  slot.answering = true;
  const auto& request = parser.get();
  bool keep_alive = false;
  const AdminResponse answer = answer_request(served, request, !parser.is_done(), keep_alive);
  co_await write_answer(stream, answer, request.version(), request.method() == http::verb::head,
                        keep_alive, ok);
  slot.answering = false;
  if (ok && keep_alive) co_return true;
  if (ok) co_await linger_close(stream);
  co_return false;
}

asio::awaitable<void> serve(tcp::socket socket, Served& served) {
  beast::tcp_stream stream(std::move(socket));
  SlotGuard guard(served, stream);
  // Room for a whole header and one read more: beyond it the header is refused (431).
  beast::flat_buffer buffer(served.max_header_bytes + kReadChunk);
  for (bool first = true;; first = false) {
    if (!first && buffer.size() == 0 &&
        !co_await wait_for_request(stream, buffer, served.idle_timeout)) {
      co_return;
    }
    if (!co_await serve_one(stream, buffer, served, guard.slot())) co_return;
  }
}

void warn_at_cap(Served& served) {
  const Clock::time_point now = Clock::now();
  if (now - served.last_cap_warning < std::chrono::minutes(1)) return;
  served.last_cap_warning = now;
  spdlog::warn(
      "admin HTTP: {} connections open (admin.max_connections); new ones take the place of the "
      "oldest waiting ones",
      served.open());
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Served& served) {
  asio::steady_timer backoff(acceptor.get_executor());
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors (or a transient error): try again shortly rather than spin.
      backoff.expires_after(milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (served.open() >= served.max_connections) {
      warn_at_cap(served);
      if (!evict_oldest_waiting(served)) {
        socket.close(ec);  // every slot is answering: a flood holds no descriptor beyond the cap
        continue;
      }
    }
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), served), asio::detached);
  }
}
}  // namespace

struct AdminHttp::Impl {
  Impl(const config::AdminConfig& settings, Handler handler)
      : listen(settings.listen.value_or(config::HostPort{})),
        served{.handler = std::move(handler),
               .token = AdminToken(settings.token),
               .max_connections = settings.max_connections,
               .header_timeout = milliseconds(settings.header_timeout_ms),
               .request_timeout = milliseconds(settings.request_timeout_ms),
               .idle_timeout = milliseconds(settings.idle_timeout_ms),
               .max_header_bytes = static_cast<std::size_t>(settings.max_header_bytes)} {}

  config::HostPort listen;
  Served served;  // before io: the connections' frames, destroyed with io, refer to it
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::atomic<int> listener_fd{-1};  // the acceptor's, for a takeover; -1 once handed over
  std::thread thread;
};

AdminHttp::AdminHttp(const config::AdminConfig& settings, Handler handler)
    : impl_(std::make_unique<Impl>(settings, std::move(handler))) {}

AdminHttp::~AdminHttp() {
  stop();
}

int AdminHttp::listener_fd() const {
  return impl_->listener_fd.load(std::memory_order_acquire);
}

void AdminHttp::close_listener() {
  impl_->listener_fd.store(-1, std::memory_order_release);
  asio::post(impl_->io, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);  // the pending accept ends with operation_aborted
  });
}

void AdminHttp::reconfigure(const config::AdminConfig& settings) {
  asio::post(impl_->io, [this, settings] {
    Served& served = impl_->served;
    served.token = AdminToken(settings.token);
    served.max_connections = settings.max_connections;
    served.header_timeout = milliseconds(settings.header_timeout_ms);
    served.request_timeout = milliseconds(settings.request_timeout_ms);
    served.idle_timeout = milliseconds(settings.idle_timeout_ms);
    served.max_header_bytes = static_cast<std::size_t>(settings.max_header_bytes);
  });
}

void AdminHttp::start(int adopted_fd) {
  if (adopted_fd >= 0) {
    const tcp::endpoint endpoint(asio::ip::make_address(impl_->listen.host), impl_->listen.port);
    impl_->acceptor.assign(endpoint.protocol(), adopted_fd);
    return serve_from_thread();
  }
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
  serve_from_thread();
}

void AdminHttp::serve_from_thread() {
  impl_->listener_fd.store(impl_->acceptor.native_handle(), std::memory_order_release);
  asio::co_spawn(impl_->io, accept_loop(impl_->acceptor, impl_->served), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
  spdlog::info("admin HTTP on {} (/metrics /healthz /readyz /backends /stats){}",
               impl_->listen.to_string(),
               impl_->served.token.required() ? ", bearer token required" : "");
}

void AdminHttp::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] { impl_->io.stop(); });
  impl_->thread.join();
}

}  // namespace funnel::server
