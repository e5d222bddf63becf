// Worker's TLS side: the optional TLS listener beside the plain one (tls.listen), and the
// OpenSSL session for each accepted TLS client. The handshake itself runs in the ClientSession.
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "server/process.hpp"
#include "server/worker.hpp"

namespace funnel::server {
namespace {
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
}  // namespace

void Worker::open_tls_listener(const config::HostPort& listen) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(listen.host, ec);
  if (ec) {
    throw std::runtime_error("tls.listen = " + listen.to_string() +
                             ": not an IP address (use e.g. 127.0.0.1 or 0.0.0.0)");
  }
  const asio::ip::tcp::endpoint endpoint(address, listen.port);
  tls_acceptor_ =
      std::make_unique<asio::basic_socket_acceptor<asio::ip::tcp, Executor>>(io_.get_executor());
  tls_acceptor_->open(endpoint.protocol());
  tls_acceptor_->set_option(asio::socket_base::reuse_address(true));
  tls_acceptor_->set_option(ReusePort(true));
  tls_acceptor_->bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on tls.listen = " + listen.to_string() + ": " +
                             ec.message() + " (choose another port with --tls-listen)");
  }
  tls_acceptor_->listen(asio::socket_base::max_listen_connections);
  tls_acceptor_->non_blocking(true);
}

void Worker::accept_next_tls() {
  tls_acceptor_->async_accept([this](boost::system::error_code ec, TcpSocket socket) {
    if (ec == asio::error::operation_aborted || context_->draining) return;
    if (!ec) {
      on_accepted(std::move(socket), true);
      return accept_next_tls();
    }
    spdlog::warn("worker {}: TLS accept failed: {}", index_, ec.message());
    // Retry shortly: at once would spin while the condition (no descriptors) lasts.
    auto retry = std::make_shared<SteadyTimer>(io_.get_executor(), std::chrono::milliseconds(10));
    retry->async_wait([this, retry](boost::system::error_code wait_ec) {
      if (!wait_ec && !context_->draining) accept_next_tls();
    });
  });
}

SSL* Worker::new_tls_session(TcpSocket& socket) {
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  SSL* ssl = process_.server_tls()->new_session(socket.native_handle());
  if (ssl == nullptr)
    spdlog::warn("worker {}: cannot create a TLS session (out of memory?)", index_);
  return ssl;
}

}  // namespace funnel::server
