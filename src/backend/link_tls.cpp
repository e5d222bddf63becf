// BackendLink over TLS: the handshake runs between TCP connect and Redis's HELLO, driven by the
// same readiness waits as the rest of the link; reads and writes go through OpenSSL on the
// non-blocking socket. Plain links keep their single read_some / write_some.
#include <spdlog/spdlog.h>

#include "backend/backend_link.hpp"

namespace funnel::backend {

bool BackendLink::start_tls() {
  tls_ =
      settings_.tls->new_session(socket_.native_handle(), tls_server_name(settings_, *snapshot_));
  if (tls_ == nullptr) {
    fail("cannot create a TLS session");
    return false;
  }
  tls_handshaking_ = true;
  return true;
}

void BackendLink::continue_tls_handshake() {
  switch (tls::handshake(tls_)) {
    case tls::Want::kNone:
      tls_handshaking_ = false;
      flush();  // Redis's own handshake (HELLO ... AUTH ... SETNAME)
      wait_readable();
      return;
    case tls::Want::kRead:
      wait_readable();
      return;
    case tls::Want::kWrite:
      wait_writable();
      return;
    case tls::Want::kClosed:
    case tls::Want::kError: {
      const std::string reason = tls::ClientTls::failure_reason(tls_);
      spdlog::warn("backend {} link {}: {} (server name {})", address(), name_, reason,
                   tls_server_name(settings_, *snapshot_));
      fail(reason);
      return;
    }
  }
}

std::size_t BackendLink::read_transport(char* data, std::size_t size,
                                        boost::system::error_code& ec) {
  if (tls_ == nullptr) return socket_.read_some(asio::buffer(data, size), ec);
  const tls::IoResult result = tls::read(tls_, data, size);
  ec = {};
  if (result.bytes > 0) return result.bytes;
  switch (result.want) {
    case tls::Want::kRead:
      ec = asio::error::would_block;
      break;
    case tls::Want::kWrite:  // a post-handshake message to answer: let flush() write it
      ec = asio::error::would_block;
      wait_writable();
      break;
    case tls::Want::kClosed:
      ec = asio::error::eof;
      break;
    default:
      ec = asio::error::connection_reset;
      break;
  }
  return 0;
}

std::size_t BackendLink::write_transport(const char* data, std::size_t size,
                                         boost::system::error_code& ec) {
  if (tls_ == nullptr) return socket_.write_some(asio::buffer(data, size), ec);
  const tls::IoResult result = tls::write(tls_, data, size);
  ec = {};
  switch (result.want) {
    case tls::Want::kNone:
      break;
    case tls::Want::kWrite:
      ec = asio::error::would_block;
      break;
    case tls::Want::kRead:  // only renegotiation asks this, and it is disabled
      ec = asio::error::operation_not_supported;
      break;
    case tls::Want::kClosed:
      ec = asio::error::eof;
      break;
    case tls::Want::kError:
      ec = asio::error::connection_reset;
      break;
  }
  return result.bytes;
}

void BackendLink::close_socket() {
  tls::shutdown_and_free(tls_);
  tls_ = nullptr;
  tls_handshaking_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace funnel::backend
