// ServerTls: asio::ssl::context set up for clients, and its reload.
#include "tls/server_tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <stdexcept>

namespace funnel::tls {
namespace {

namespace ssl = boost::asio::ssl;

// Runs one context call, turning its exception into a message that names the file.
template <typename Fn>
void load(const char* what, const std::string& path, Fn&& fn) {
  boost::system::error_code ec;
  fn(ec);
  if (ec) {
    throw std::runtime_error(std::string(what) + " = " + path + ": " + ec.message() +
                             " (a PEM file readable by Funnel's user is needed)");
  }
}

// Resumption for clients that reconnect (a connection per invocation, issue #20), set here rather
// than left to OpenSSL's defaults: TLS 1.3 tickets (stateless: the ticket key is the context's,
// so a reload ends them), a bounded server-side cache for TLS 1.2 sessions, and a session id
// context, without which OpenSSL refuses to resume a session once client certificates are
// verified (SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED: a failed handshake, not a full one).
void enable_resumption(SSL_CTX* ctx) {
  static constexpr unsigned char kContext[] = "funnel";
  SSL_CTX_set_session_id_context(ctx, kContext, sizeof(kContext) - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx, 10240);  // TLS 1.2 sessions (~1 KB each) at most
  SSL_CTX_set_timeout(ctx, 300);            // seconds a session or ticket may be resumed
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
}

}  // namespace

ServerTls::ServerTls(const config::TlsConfig& config)
    : config_(config), context_(load_files(config)) {}

ServerTls::~ServerTls() = default;

std::shared_ptr<ssl::context> ServerTls::load_files(const config::TlsConfig& config) const {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle clients should not hold TLS record buffers (tens of KB each).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  load("tls.cert_file", config.cert_file,
       [&](auto& ec) { context->use_certificate_chain_file(config.cert_file, ec); });
  load("tls.key_file", config.key_file,
       [&](auto& ec) { context->use_private_key_file(config.key_file, ssl::context::pem, ec); });
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw std::runtime_error(
        "tls.key_file = " + config.key_file +
        ": the key does not match the certificate in tls.cert_file = " + config.cert_file);
  }
  enable_resumption(ctx);
  if (!config.client_ca_file.empty()) {
    load("tls.client_ca_file", config.client_ca_file,
         [&](auto& ec) { context->load_verify_file(config.client_ca_file, ec); });
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

std::string ServerTls::reload() {
  return context_.reload([this] { return load_files(config_); });
}

void ServerTls::adopt(const config::TlsConfig& config, std::shared_ptr<ssl::context> context) {
  config_ = config;
  context_.set(std::move(context));
}

SSL* ServerTls::new_session(int fd) const {
  const std::shared_ptr<ssl::context> context = context_.get();
  SSL* ssl = SSL_new(context->native_handle());  // holds its own reference to the SSL_CTX
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

std::string ServerTls::describe() const {
  const std::shared_ptr<ssl::context> context = context_.get();
  X509* cert = SSL_CTX_get0_certificate(context->native_handle());
  if (cert == nullptr) return "no certificate";
  char subject[256] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  return std::string("certificate ") + subject;
}

}  // namespace funnel::tls
