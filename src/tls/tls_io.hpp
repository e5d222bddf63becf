// TLS on a non-blocking socket, for the readiness-driven client and backend paths: each call
// maps OpenSSL's WANT_READ / WANT_WRITE onto the socket readiness the caller must wait for, so
// a TLS connection uses the same waits as a plain one. No Asio here; one SSL* per connection.
#pragma once

#include <cstddef>
#include <cstdint>

typedef struct ssl_st SSL;  // NOLINT: OpenSSL's own forward declaration

namespace funnel::tls {

enum class Want : std::uint8_t {
  kNone,    // progress was made (bytes > 0, or the handshake finished)
  kRead,    // wait until the socket is readable, then call again
  kWrite,   // wait until the socket is writable, then call again
  kClosed,  // the peer closed the TLS session cleanly
  kError,   // a protocol or socket error: close the connection
};

struct IoResult {
  std::size_t bytes = 0;
  Want want = Want::kNone;
};

// Runs the handshake as far as the socket allows (SSL_do_handshake).
Want handshake(SSL* ssl);
// Reads decrypted bytes until `size` is filled or OpenSSL needs the socket (then returns what
// it has with want = kNone if bytes > 0).
IoResult read(SSL* ssl, char* data, std::size_t size);
// Writes as much of data as the socket takes (partial writes enabled).
IoResult write(SSL* ssl, const char* data, std::size_t size);
// True if OpenSSL holds bytes already read from the socket: the socket will not signal them.
bool has_pending(SSL* ssl);
// A best-effort close_notify (never waits), then frees the session.
void shutdown_and_free(SSL* ssl);

}  // namespace funnel::tls
