// ControlLink: a simple request/response connection with deadlines (see control_link.hpp).
#include "backend/control_link.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "backend/handshake.hpp"
#include "resp/reply_framer.hpp"

namespace funnel::backend {

namespace {
using asio::redirect_error;
using asio::use_awaitable;

// Best effort: a socket without keepalive still works, it only notices a dead peer later.
void set_keepalive_options(int fd, std::uint32_t idle_s) {
  const int on = 1;
  const int idle = static_cast<int>(idle_s);
  const int interval = std::max(1, idle / 4);
  const int count = 4;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}
}  // namespace

ControlLink::ControlLink(asio::io_context& io, const LinkSettings& settings, std::string name)
    : io_(io),
      settings_(settings),
      name_(std::move(name)),
      socket_(io.get_executor()),
      deadline_(io.get_executor()) {}

void ControlLink::close() {
  open_ = false;
  boost::system::error_code ignored;
  // The TLS stream stays until the next open(): close() may run while an operation on it is
  // still pending (the resolver closes the link under the control loop); closing the socket
  // aborts that operation, destroying the stream under it would not be safe.
  socket_.close(ignored);
  buffer_.clear();
}

asio::awaitable<std::string> ControlLink::open(const BackendSnapshot& snapshot) {
  close();
  if (snapshot.endpoints.empty()) {
    co_return snapshot.resolve_error.empty() ? "address not resolved" : snapshot.resolve_error;
  }
  boost::system::error_code ec;
  deadline_.expires_after(std::chrono::milliseconds(settings_.connect_timeout_ms.get()));
  deadline_.async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec) {
      boost::system::error_code ignored;
      socket_.close(ignored);
    }
  });
  co_await asio::async_connect(socket_, snapshot.endpoints, redirect_error(use_awaitable, ec));
  deadline_.cancel();
  if (ec) co_return ec == asio::error::operation_aborted ? "connect timeout" : ec.message();
  if (keepalive_idle_s_ != 0) set_keepalive_options(socket_.native_handle(), keepalive_idle_s_);
  if (tls_for(settings_, snapshot.address) != nullptr) {
    if (std::string error = co_await start_tls(snapshot); !error.empty()) {
      close();
      co_return error;
    }
  }
  open_ = true;
  address_ = snapshot.address;
  authed_at_ = common::coarse_now_ms();
  std::string error;
  const auto credentials = credentials_for(settings_, snapshot.address).get();
  auto reply = co_await call(encode_handshake(resp::Protocol::kResp3, credentials->user,
                                              credentials->password.get(), name_),
                             error);
  if (!reply) co_return error;
  if (reply->is_error()) {
    close();
    co_return "handshake refused: " + reply->str;
  }
  if (const resp::Value* version = reply->find("version")) {
    if (auto text = version->as_string()) redis_version_ = std::string(*text);
  }
  zone_.reset();
  if (const resp::Value* zone = reply->find("availability_zone")) {
    if (auto text = zone->as_string()) zone_ = std::string(*text);
  }
  co_return std::string();
}

// The TLS handshake, bounded by the connect timeout.
asio::awaitable<std::string> ControlLink::start_tls(const BackendSnapshot& snapshot) {
  tls::ClientTls* client_tls = tls_for(settings_, snapshot.address);
  const auto context = client_tls->context();  // alive while the stream makes its session
  tls_ = std::make_unique<asio::ssl::stream<TcpSocket&>>(socket_, *context);
  client_tls->prepare(tls_->native_handle(), tls_server_name(settings_, snapshot));
  deadline_.expires_after(std::chrono::milliseconds(settings_.connect_timeout_ms.get()));
  deadline_.async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec) {
      boost::system::error_code ignored;
      socket_.close(ignored);
    }
  });
  boost::system::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::client, redirect_error(use_awaitable, ec));
  deadline_.cancel();
  if (!ec) co_return std::string();
  const std::string reason = tls::ClientTls::failure_reason(tls_->native_handle());
  co_return reason + " (server name " + tls_server_name(settings_, snapshot) + ", " +
      snapshot.address + ")";
}

asio::awaitable<std::optional<resp::Value>> ControlLink::call(const std::string& request,
                                                              std::string& error) {
  std::optional<std::string> bytes = co_await call_raw(request, error);
  if (!bytes) co_return std::nullopt;
  resp::Value value;
  std::size_t consumed = 0;
  if (resp::parse_value(*bytes, value, consumed) != resp::ValueStatus::kComplete) {
    error = "unparseable reply";
    close();
    co_return std::nullopt;
  }
  co_return value;
}

asio::awaitable<std::optional<std::string>> ControlLink::call_raw(const std::string& request,
                                                                  std::string& error) {
  // (co_await as its own statement: GCC 12 miscompiles it inside a short-circuit condition.)
  if (open_ && settings_.reauth_after_ms.get() != 0) {
    const bool logged_in = co_await reauth_if_due(error);
    if (!logged_in) co_return std::nullopt;
  }
  std::optional<std::string> reply = co_await exchange(request, error);
  co_return reply;
}

namespace {
// Outside the coroutine: GCC 12 cannot keep an initializer_list's array across a co_await.
std::string auth_request(const BackendCredentials& credentials) {
  const std::string_view user =
      credentials.user.empty() ? std::string_view("default") : std::string_view(credentials.user);
  return encode_command({"AUTH", user, *credentials.password});
}
}  // namespace

// Control and health-check links log in again like data links (backend/link_reauth.cpp), just
// before their next request: one request at a time, so never in the middle of anything.
asio::awaitable<bool> ControlLink::reauth_if_due(std::string& error) {
  const common::Millis now = common::coarse_now_ms();
  if (now - authed_at_ < settings_.reauth_after_ms.get()) co_return true;
  const auto credentials = credentials_for(settings_, address_).get();
  if (!credentials->password) co_return true;
  authed_at_ = now;
  auto reply = co_await exchange(auth_request(*credentials), error);
  if (!reply) co_return false;
  if (reply->empty() || (*reply)[0] != '-') co_return true;
  error = "re-authentication refused: " + reply->substr(1, reply->find('\r') - 1);
  close();
  co_return false;
}

asio::awaitable<std::optional<std::string>> ControlLink::exchange(const std::string& request,
                                                                  std::string& error) {
  if (!open_) {
    error = "not connected";
    co_return std::nullopt;
  }
  deadline_.expires_after(std::chrono::milliseconds(settings_.request_timeout_ms.get()));
  timed_out_ = false;
  deadline_.async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec) {
      timed_out_ = true;
      boost::system::error_code ignored;
      socket_.close(ignored);
    }
  });
  boost::system::error_code ec;
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(request), redirect_error(use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(request), redirect_error(use_awaitable, ec));
  }
  std::optional<std::string> bytes;
  if (!ec) bytes = co_await read_reply(error);
  deadline_.cancel();
  if (ec || !bytes) {
    if (ec) error = ec.message();
    if (timed_out_) error = "timeout";
    close();
    co_return std::nullopt;
  }
  co_return bytes;
}

asio::awaitable<bool> ControlLink::send(const std::string& request, std::string& error) {
  if (!open_) {
    error = "not connected";
    co_return false;
  }
  boost::system::error_code ec;
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(request), redirect_error(use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(request), redirect_error(use_awaitable, ec));
  }
  if (!ec) co_return true;
  error = ec.message();
  close();
  co_return false;
}

asio::awaitable<std::optional<resp::Value>> ControlLink::receive(std::string& error) {
  if (!open_) {
    error = "not connected";
    co_return std::nullopt;
  }
  std::optional<std::string> bytes = co_await read_reply(error, true);
  resp::Value value;
  std::size_t consumed = 0;
  if (!bytes || resp::parse_value(*bytes, value, consumed) != resp::ValueStatus::kComplete) {
    if (bytes) error = "unparseable reply";
    close();
    co_return std::nullopt;
  }
  co_return value;
}

asio::awaitable<std::optional<std::string>> ControlLink::read_reply(std::string& error,
                                                                    bool keep_pushes) {
  resp::ReplyFramer framer;
  for (;;) {
    while (!buffer_.empty()) {
      const resp::FrameStatus status = framer.frame(buffer_);
      if (status == resp::FrameStatus::kInvalid) {
        error = "invalid reply: " + std::string(framer.error());
        co_return std::nullopt;
      }
      if (status == resp::FrameStatus::kNeedMore) break;
      const std::size_t length = framer.length();
      const bool push = framer.kind() == resp::ReplyKind::kPush;
      std::string reply = buffer_.substr(0, length);
      buffer_.erase(0, length);
      framer.reset();
      if (!push || keep_pushes) co_return reply;
    }
    char chunk[16 * 1024];
    boost::system::error_code ec;
    const std::size_t n = tls_ ? co_await tls_->async_read_some(asio::buffer(chunk),
                                                                redirect_error(use_awaitable, ec))
                               : co_await socket_.async_read_some(
                                     asio::buffer(chunk), redirect_error(use_awaitable, ec));
    if (ec) {
      error = ec == asio::error::eof ? "closed by the backend" : ec.message();
      co_return std::nullopt;
    }
    buffer_.append(chunk, n);
  }
}

}  // namespace funnel::backend
