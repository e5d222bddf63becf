// The TLS context for Funnel's own connections to the backend (ElastiCache in-transit
// encryption): server certificate verified against a CA (on by default), SNI and host name
// check, optional client certificate, TLS 1.2 at least. Built at start and again on reload
// (SIGHUP): links connected before keep their session; new links use the new files.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "tls/context_holder.hpp"
#include "tls/resume_cache.hpp"

typedef struct ssl_st SSL;  // NOLINT: OpenSSL's own forward declaration

namespace boost::asio::ssl {
class context;
}

namespace funnel::tls {

struct ClientTlsOptions {
  std::string ca_file;    // empty: the system's CA store
  bool verify = true;     // verify the server certificate and its name
  std::string cert_file;  // client certificate (optional)
  std::string key_file;
};

class ClientTls {
 public:
  // Throws std::runtime_error naming the file and OpenSSL's reason.
  explicit ClientTls(const ClientTlsOptions& options);
  ~ClientTls();
  // A client session on a connected non-blocking socket, with SNI and the expected server name
  // (a DNS name or an IP address) set; nullptr when OpenSSL cannot make one. With `node` (the
  // backend's "host:port"), it resumes that node's last session when there is one and keeps the
  // sessions it receives for the next link (ResumeCache).
  SSL* new_session(int fd, const std::string& server_name, const std::string& node = {}) const;
  // Sets SNI and the expected name on a session made elsewhere (asio::ssl::stream).
  void prepare(SSL* ssl, const std::string& server_name) const;
  // The current context (kept alive by the caller while it makes a session from it).
  std::shared_ptr<boost::asio::ssl::context> context() const;
  // Loads the files again; on failure keeps the current context and returns why ("" on success).
  // On success the sessions kept for resumption are dropped (they were verified by the old files).
  std::string reload();
  // A reload that names other files (backend.tls_ca_file, tls_cert_file, tls_key_file), in two
  // steps so that a file that cannot be used changes nothing: load_files() reads and checks them
  // (throws as the constructor does), adopt() makes them the ones new links use (and drops the
  // sessions kept for resumption). Only the files change: tls_verify stays as at start.
  std::shared_ptr<boost::asio::ssl::context> load_files(const ClientTlsOptions& options) const;
  void adopt(const ClientTlsOptions& options, std::shared_ptr<boost::asio::ssl::context> context);
  const ResumeCache& resume_cache() const { return *resume_; }
  // Why the last handshake on `ssl` failed, for the log ("certificate verify failed: ...").
  static std::string failure_reason(SSL* ssl);

 private:
  ClientTlsOptions options_;  // the files change by adopt() only, under the reload's lock
  std::shared_ptr<ResumeCache> resume_ = std::make_shared<ResumeCache>();
  ContextHolder context_;
};

}  // namespace funnel::tls
