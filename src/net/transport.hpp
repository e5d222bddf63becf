// The byte transport of a non-blocking socket, plain or TLS, shared by backend links and client
// sessions: read_some / write_some report progress, the readiness the next call needs, the peer's
// close and failure the same way for both. OpenSSL's WANT_READ / WANT_WRITE are mapped onto that
// readiness here and nowhere else (tls_transport.cpp), so a TLS connection uses the same waits as
// a plain one. A plain socket costs one recv / send behind one predictable test: no Asio, no
// virtual call. Not thread-safe: one owner, on its worker's thread.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

typedef struct ssl_st SSL;  // NOLINT: OpenSSL's own forward declaration

namespace funnel::net {

// What a call did, and what the next call on the socket needs. Callers act on the status when no
// bytes moved; with bytes it is a hint (the edge a waiter keeps may be spent).
enum class Io : std::uint8_t {
  kMore,       // progress, and nothing says the socket is drained or full: call again
  kWantRead,   // wait until the socket is readable (a short read drained it; or TLS must read)
  kWantWrite,  // wait until the socket is writable (a short write filled it; or TLS must write)
  kEof,        // the peer closed: end of stream, or a TLS close_notify (no bytes)
  kError,      // the connection is broken (no bytes); `error` says why
};

struct IoResult {
  std::size_t bytes = 0;
  Io status = Io::kMore;
  int error = 0;  // an errno value with kError (ECONNRESET for a TLS protocol error)

  // The call waits for readiness (either direction), as opposed to progress or an end.
  bool waits() const { return status == Io::kWantRead || status == Io::kWantWrite; }
};

// A short text for a result that ended the connection or could not go on ("End of file",
// "Connection reset by peer", ...), in the words Asio's error codes used.
std::string describe(const IoResult& result);

class Transport {
 public:
  Transport() = default;
  ~Transport() { reset(); }
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Speaks over `fd` (not owned: its owner closes it). With `ssl` (a session made for that
  // descriptor, owned from here on) it speaks TLS, starting with the handshake.
  void attach(int fd, SSL* ssl = nullptr);
  // Frees the TLS session (a best-effort close_notify that never waits) and forgets the
  // descriptor; the owner closes it.
  void reset();

  int fd() const { return fd_; }
  bool tls() const { return ssl_ != nullptr; }
  SSL* ssl() const { return ssl_; }  // for diagnostics (ClientTls::failure_reason)
  bool handshaking() const { return handshaking_; }
  // True if OpenSSL holds bytes it already took from the socket: the socket will not signal them,
  // so the owner reads now instead of waiting.
  bool has_pending() const { return ssl_ != nullptr && !handshaking_ && tls_pending(); }

  // Runs the TLS handshake as far as the socket allows: kMore when it is done (then read_some /
  // write_some carry data), else what to wait for, or how it failed. read_some and write_some
  // run it too when called before it is done.
  IoResult handshake();
  // Reads up to `size` (> 0) bytes. A plain short read reports kWantRead with its bytes: it
  // drained the socket.
  IoResult read_some(char* data, std::size_t size) {
    if (ssl_ != nullptr) [[unlikely]]
      return read_tls(data, size);
    for (;;) {
      const ssize_t n = ::recv(fd_, data, size, 0);
      if (n > 0) {
        const auto bytes = static_cast<std::size_t>(n);
        return {bytes, bytes < size ? Io::kWantRead : Io::kMore, 0};
      }
      if (n == 0) return {0, Io::kEof, 0};
      if (errno != EINTR)
        return {0, errno == EAGAIN || errno == EWOULDBLOCK ? Io::kWantRead : Io::kError, errno};
    }
  }
  // Writes as much of `data` as the socket takes. A plain short write reports kWantWrite with
  // its bytes: it filled the socket.
  IoResult write_some(const char* data, std::size_t size) {
    if (ssl_ != nullptr) [[unlikely]]
      return write_tls(data, size);
    for (;;) {
      const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n >= 0) {
        const auto bytes = static_cast<std::size_t>(n);
        return {bytes, bytes < size ? Io::kWantWrite : Io::kMore, 0};
      }
      if (errno != EINTR)
        return {0, errno == EAGAIN || errno == EWOULDBLOCK ? Io::kWantWrite : Io::kError, errno};
    }
  }

 private:
  // TLS (tls_transport.cpp): OpenSSL on the same non-blocking socket.
  [[gnu::noinline]] IoResult read_tls(char* data, std::size_t size);
  [[gnu::noinline]] IoResult write_tls(const char* data, std::size_t size);
  bool tls_pending() const;

  SSL* ssl_ = nullptr;  // null: plain TCP
  int fd_ = -1;
  bool handshaking_ = false;
};

}  // namespace funnel::net
