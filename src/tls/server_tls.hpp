// The TLS context clients connect to: certificate and key from files, optional client
// certificate verification, TLS 1.2 at least. Built with asio::ssl::context (OpenSSL 3) and
// swapped whole on reload (SIGHUP): connections keep the context they started with (OpenSSL
// reference-counts it), new ones get the new certificate. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "tls/context_holder.hpp"

typedef struct ssl_st SSL;  // NOLINT: OpenSSL's own forward declaration

namespace boost::asio::ssl {
class context;
}

namespace funnel::tls {

class ServerTls {
 public:
  // Loads the files; throws std::runtime_error naming the file and OpenSSL's reason.
  explicit ServerTls(const config::TlsConfig& config);
  ~ServerTls();

  // Loads the files again; on failure keeps the current context and returns the reason ("" on
  // success).
  std::string reload();
  // A reload that names other files (tls.cert_file, key_file, client_ca_file), in two steps so
  // that a file that cannot be used changes nothing: load_files() reads and checks them (throws as
  // the constructor does), adopt() makes them the ones new connections use and reload() re-reads.
  std::shared_ptr<boost::asio::ssl::context> load_files(const config::TlsConfig& config) const;
  void adopt(const config::TlsConfig& config, std::shared_ptr<boost::asio::ssl::context> context);
  // A server-side session on a connected non-blocking socket, or nullptr (out of memory).
  SSL* new_session(int fd) const;
  // The certificate file's subject and expiry, for the log.
  std::string describe() const;

 private:
  config::TlsConfig config_;  // changed by adopt() only, under the reload's lock
  ContextHolder context_;
};

}  // namespace funnel::tls
