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
  watch_listener(tls_listen_target_, *tls_acceptor_, true);
}

SSL* Worker::new_tls_session(int fd) {
  SSL* ssl = process_.server_tls()->new_session(fd);
  if (ssl == nullptr)
    spdlog::warn("worker {}: cannot create a TLS session (out of memory?)", index_);
  return ssl;
}

}  // namespace funnel::server
