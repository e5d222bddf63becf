// TLS session resumption for Funnel's backend links: the last session (TLS 1.3 ticket or TLS 1.2
// session) each backend node gave, offered again when a link to that node reconnects, so the
// reconnect after a failover, a backend restart or a link timeout skips the certificate check and
// the server's signature (ElastiCache in-transit encryption, issue #20 item 3). Thread-safe: the
// workers' links share one cache through their ClientTls.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

typedef struct ssl_st SSL;                  // NOLINT: OpenSSL's own forward declarations
typedef struct ssl_ctx_st SSL_CTX;          // NOLINT
typedef struct ssl_session_st SSL_SESSION;  // NOLINT

namespace funnel::tls {

class ResumeCache : public std::enable_shared_from_this<ResumeCache> {
 public:
  ResumeCache() = default;
  ~ResumeCache();
  ResumeCache(const ResumeCache&) = delete;
  ResumeCache& operator=(const ResumeCache&) = delete;

  // Makes `ctx` hand every new client session (a ticket that arrived, or a finished TLS 1.2
  // handshake) to the cache of the SSL that received it (OpenSSL's client-side new-session
  // callback, the library's own store off).
  static void enable(SSL_CTX* ctx);
  // Ties `ssl` (a client session not yet connected) to `node` ("host:port"): offers the node's
  // last session if there is one, and keeps the sessions `ssl` receives under `node`.
  void attach(SSL* ssl, const std::string& node);
  // Forgets every session (the CA or client certificate changed on reload: a resumed session
  // would skip the new check).
  void clear();
  std::size_t size() const;

 private:
  friend struct ResumeHooks;
  void keep(const std::string& node, SSL_SESSION* session);  // takes the reference

  mutable std::mutex mutex_;
  std::unordered_map<std::string, SSL_SESSION*> by_node_;
};

}  // namespace funnel::tls
