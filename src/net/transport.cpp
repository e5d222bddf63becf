// Transport's TLS half: SSL_do_handshake / SSL_read_ex / SSL_write_ex on the non-blocking socket,
// with OpenSSL's answers mapped onto the readiness the caller waits for (io_of: the one mapping).
#include "net/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <system_error>

namespace funnel::net {
namespace {

// SSL_ERROR_WANT_READ / WANT_WRITE say which readiness OpenSSL needs before the call can make
// progress (a read may need to write: a post-handshake message; a write may need to read).
IoResult io_of(SSL* ssl, int ret) {
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return {0, Io::kWantRead, 0};
    case SSL_ERROR_WANT_WRITE:
      return {0, Io::kWantWrite, 0};
    case SSL_ERROR_ZERO_RETURN:
      return {0, Io::kEof, 0};
    default:
      ERR_clear_error();  // the queue is per thread: leave it clean for the next connection
      return {0, Io::kError, ECONNRESET};
  }
}

}  // namespace

std::string describe(const IoResult& result) {
  switch (result.status) {
    case Io::kEof:
      return "End of file";
    case Io::kError:
      return std::system_category().message(result.error);
    case Io::kWantRead:
    case Io::kWantWrite:
      return "would block";
    case Io::kMore:
      break;
  }
  return "no error";
}

void Transport::attach(int fd, SSL* ssl) {
  reset();
  fd_ = fd;
  ssl_ = ssl;
  handshaking_ = ssl != nullptr;
}

void Transport::reset() {
  if (ssl_ != nullptr) {
    if (SSL_is_init_finished(ssl_)) (void)SSL_shutdown(ssl_);
    ERR_clear_error();
    SSL_free(ssl_);
  }
  ssl_ = nullptr;
  fd_ = -1;
  handshaking_ = false;
}

IoResult Transport::handshake() {
  if (!handshaking_) return {};
  const int ret = SSL_do_handshake(ssl_);
  if (ret != 1) return io_of(ssl_, ret);
  handshaking_ = false;
  return {};
}

// Reads until `size` is filled or OpenSSL needs the socket. Bytes already read count as progress,
// with the wait OpenSSL asked for (the socket is drained when it wants to read); an end or an
// error after them is left for the next call to meet.
IoResult Transport::read_tls(char* data, std::size_t size) {
  if (handshaking_) {
    const IoResult step = handshake();
    if (handshaking_) return step;
  }
  IoResult result;
  while (result.bytes < size) {
    std::size_t n = 0;
    const int ret = SSL_read_ex(ssl_, data + result.bytes, size - result.bytes, &n);
    if (ret != 1) {
      const IoResult stop = io_of(ssl_, ret);
      if (result.bytes == 0) return stop;
      if (stop.status == Io::kWantRead || stop.status == Io::kWantWrite)
        result.status = stop.status;
      return result;
    }
    result.bytes += n;
  }
  return result;
}

// Writes as much as the socket takes (SSL_MODE_ENABLE_PARTIAL_WRITE is set on every session).
IoResult Transport::write_tls(const char* data, std::size_t size) {
  if (handshaking_) {
    const IoResult step = handshake();
    if (handshaking_) return step;
  }
  if (size == 0) return {};
  IoResult result;
  const int ret = SSL_write_ex(ssl_, data, size, &result.bytes);
  if (ret != 1) return io_of(ssl_, ret);
  return result;
}

bool Transport::tls_pending() const {
  return SSL_has_pending(ssl_) == 1;
}

}  // namespace funnel::net
