// ClientSession's transport seam. A plain client is read and written with one read_some /
// write_some call, exactly as before TLS existed. A TLS client goes through OpenSSL on the same
// non-blocking socket: the handshake runs inside the first reads, and WANT_READ / WANT_WRITE
// become the readiness wait the session already knows how to do.
#include <boost/asio/post.hpp>

#include "client/client_session.hpp"

namespace funnel::client {
namespace {

// Sets ec for a TLS want (would_block for the waits, eof / reset for the ends) and reports
// whether the wait is for the opposite direction.
void map_want(tls::Want want, boost::system::error_code& ec, bool& opposite, bool writing) {
  switch (want) {
    case tls::Want::kNone:
      ec = {};
      return;
    case tls::Want::kRead:
      ec = asio::error::would_block;
      opposite = writing;
      return;
    case tls::Want::kWrite:
      ec = asio::error::would_block;
      opposite = !writing;
      return;
    case tls::Want::kClosed:
      ec = asio::error::eof;
      return;
    case tls::Want::kError:
      ec = asio::error::connection_reset;
      return;
  }
}

}  // namespace

std::size_t ClientSession::read_transport(char* data, std::size_t size,
                                          boost::system::error_code& ec) {
  if (tls_ == nullptr) return socket_.read_some(asio::buffer(data, size), ec);
  tls_read_wants_write_ = false;
  if (tls_handshaking_) {
    const tls::Want want = tls::handshake(tls_);
    if (want != tls::Want::kNone) {
      if (want == tls::Want::kError || want == tls::Want::kClosed) {
        ctx_.metrics->tls_handshake_failures.add();
      }
      map_want(want, ec, tls_read_wants_write_, false);
      return 0;
    }
    tls_handshaking_ = false;
  }
  const tls::IoResult result = tls::read(tls_, data, size);
  if (result.bytes > 0) {
    ec = {};
    return result.bytes;
  }
  map_want(result.want, ec, tls_read_wants_write_, false);
  return 0;
}

std::size_t ClientSession::write_transport(const char* data, std::size_t size,
                                           boost::system::error_code& ec) {
  if (tls_ == nullptr) return socket_.write_some(asio::buffer(data, size), ec);
  tls_write_wants_read_ = false;
  if (tls_handshaking_) {  // replies before the handshake finished: none can exist; be safe
    ec = asio::error::would_block;
    return 0;
  }
  const tls::IoResult result = tls::write(tls_, data, size);
  map_want(result.want, ec, tls_write_wants_read_, true);
  return result.bytes;
}

// OpenSSL may already hold decrypted bytes (a read filled our buffer mid-record): the socket will
// not signal them, so read again from the event loop instead of waiting.
void ClientSession::wait_tls_readable() {
  if (!tls_handshaking_ && tls::has_pending(tls_)) {
    read_waiting_ = true;
    ++pending_ops_;
    asio::post(ctx_.io, [this] {
      read_waiting_ = false;
      if (!closed_) on_readable();
      --pending_ops_;
      maybe_destroy();
    });
    return;
  }
  wait_for<&ClientSession::read_waiting_, &ClientSession::on_readable>(
      tls_read_wants_write_ ? TcpSocket::wait_write : TcpSocket::wait_read);
}

}  // namespace funnel::client
