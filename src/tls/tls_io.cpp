// tls_io: SSL_read_ex / SSL_write_ex / SSL_do_handshake with their errors mapped to readiness.
#include "tls/tls_io.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace funnel::tls {
namespace {

Want want_of(SSL* ssl, int ret) {
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return Want::kRead;
    case SSL_ERROR_WANT_WRITE:
      return Want::kWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Want::kClosed;
    default:
      ERR_clear_error();  // the queue is per thread: leave it clean for the next connection
      return Want::kError;
  }
}

}  // namespace

Want handshake(SSL* ssl) {
  const int ret = SSL_do_handshake(ssl);
  return ret == 1 ? Want::kNone : want_of(ssl, ret);
}

IoResult read(SSL* ssl, char* data, std::size_t size) {
  IoResult result;
  while (result.bytes < size) {
    std::size_t n = 0;
    const int ret = SSL_read_ex(ssl, data + result.bytes, size - result.bytes, &n);
    if (ret != 1) {
      const Want want = want_of(ssl, ret);
      // Bytes already read count as progress; the caller calls again and sees the state then.
      if (result.bytes == 0 || want == Want::kError) result.want = want;
      return result;
    }
    result.bytes += n;
  }
  return result;
}

IoResult write(SSL* ssl, const char* data, std::size_t size) {
  IoResult result;
  if (size == 0) return result;
  const int ret = SSL_write_ex(ssl, data, size, &result.bytes);
  if (ret != 1) result.want = want_of(ssl, ret);
  return result;
}

bool has_pending(SSL* ssl) {
  return SSL_has_pending(ssl) == 1;
}

void shutdown_and_free(SSL* ssl) {
  if (ssl == nullptr) return;
  if (SSL_is_init_finished(ssl)) (void)SSL_shutdown(ssl);
  ERR_clear_error();
  SSL_free(ssl);
}

}  // namespace funnel::tls
