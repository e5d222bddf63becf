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

}  // namespace

ServerTls::ServerTls(const config::TlsConfig& config) : config_(config), context_(build()) {}

ServerTls::~ServerTls() = default;

std::shared_ptr<ssl::context> ServerTls::build() const {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle clients should not hold TLS record buffers (tens of KB each).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  load("tls.cert_file", config_.cert_file,
       [&](auto& ec) { context->use_certificate_chain_file(config_.cert_file, ec); });
  load("tls.key_file", config_.key_file,
       [&](auto& ec) { context->use_private_key_file(config_.key_file, ssl::context::pem, ec); });
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw std::runtime_error(
        "tls.key_file = " + config_.key_file +
        ": the key does not match the certificate in tls.cert_file = " + config_.cert_file);
  }
  if (!config_.client_ca_file.empty()) {
    load("tls.client_ca_file", config_.client_ca_file,
         [&](auto& ec) { context->load_verify_file(config_.client_ca_file, ec); });
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

std::string ServerTls::reload() {
  return context_.reload([this] { return build(); });
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
