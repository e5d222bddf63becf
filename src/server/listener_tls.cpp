// Worker's TLS side: the optional TLS listener beside the plain one (tls.listen), and the
// OpenSSL session for each accepted TLS client. The handshake itself runs in the ClientSession.
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "server/client_socket_options.hpp"
#include "server/process.hpp"
#include "server/worker.hpp"

namespace funnel::server {
void Worker::open_tls_listener(const config::HostPort& listen) {
  tls_acceptor_ = std::make_unique<Acceptor>(io_.get_executor());
  open_client_listener(*tls_acceptor_, listen, "tls.listen", "--tls-listen",
                       process_.config().server.tcp_keepalive_s);
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
