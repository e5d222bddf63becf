// BackendLink over TLS: the handshake runs between TCP connect and Redis's HELLO, driven by the
// same readiness waits as the rest of the link. Reads and writes go through net::Transport, which
// speaks TLS or plain TCP alike.
#include <openssl/ssl.h>

#include <spdlog/spdlog.h>

#include "backend/backend_link.hpp"

namespace funnel::backend {

bool BackendLink::start_tls() {
  const int fd = socket_.native_handle();
  // Keyed by the node's address: a reconnecting link resumes the session its node last gave.
  SSL* session = tls_for(settings_, snapshot_->address)
                     ->new_session(fd, tls_server_name(settings_, *snapshot_), address());
  if (session == nullptr) {
    fail("cannot create a TLS session");
    return false;
  }
  transport_.attach(fd, session);
  return true;
}

void BackendLink::continue_tls_handshake() {
  switch (transport_.handshake().status) {
    case net::Io::kMore:  // done
      flush();            // Redis's own handshake (HELLO ... AUTH ... SETNAME)
      wait_readable();
      return;
    case net::Io::kWantRead:
      wait_readable();
      return;
    case net::Io::kWantWrite:
      wait_writable();
      return;
    case net::Io::kEof:
    case net::Io::kError: {
      const std::string reason = tls::ClientTls::failure_reason(transport_.ssl());
      spdlog::warn("backend {} link {}: {} (server name {})", address(), name_, reason,
                   tls_server_name(settings_, *snapshot_));
      fail(reason);
      return;
    }
  }
}

const char* BackendLink::tls_note() const {
  if (!transport_.tls()) return "";
  return SSL_session_reused(transport_.ssl()) == 1 ? ", TLS resumed" : ", TLS";
}

void BackendLink::close_socket() {
  transport_.reset();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace funnel::backend
