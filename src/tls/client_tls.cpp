// ClientTls: asio::ssl::context for backend links, and per-session name checks.
#include "tls/client_tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <stdexcept>

namespace funnel::tls {
namespace {

namespace ssl = boost::asio::ssl;

void check(const char* what, const std::string& path, const boost::system::error_code& ec) {
  if (ec) {
    throw std::runtime_error(std::string(what) + " = " + path + ": " + ec.message() +
                             " (a PEM file readable by Funnel's user is needed)");
  }
}

}  // namespace

ClientTls::ClientTls(const ClientTlsOptions& options)
    : options_(options), context_(load_files(options)) {}

std::shared_ptr<ssl::context> ClientTls::load_files(const ClientTlsOptions& given) const {
  ClientTlsOptions options = given;
  options.verify = options_.verify;  // not changed by a reload (prepare() reads it)
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  ResumeCache::enable(ctx);  // links that reconnect resume their node's last session
  boost::system::error_code ec;
  if (options.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    check("backend.tls_ca_file", "(system CA store)", ec);
  } else {
    context->load_verify_file(options.ca_file, ec);
    check("backend.tls_ca_file", options.ca_file, ec);
  }
  context->set_verify_mode(options.verify ? ssl::verify_peer : ssl::verify_none);
  if (!options.cert_file.empty()) {
    context->use_certificate_chain_file(options.cert_file, ec);
    check("backend.tls_cert_file", options.cert_file, ec);
    context->use_private_key_file(options.key_file, ssl::context::pem, ec);
    check("backend.tls_key_file", options.key_file, ec);
    if (SSL_CTX_check_private_key(ctx) != 1) {
      throw std::runtime_error("backend.tls_key_file = " + options.key_file +
                               ": the key does not match backend.tls_cert_file");
    }
  }
  return context;
}

ClientTls::~ClientTls() = default;

std::shared_ptr<ssl::context> ClientTls::context() const {
  return context_.get();
}

std::string ClientTls::reload() {
  std::string error = context_.reload([this] { return load_files(options_); });
  if (error.empty()) resume_->clear();
  return error;
}

void ClientTls::adopt(const ClientTlsOptions& options, std::shared_ptr<ssl::context> context) {
  options_.ca_file = options.ca_file;
  options_.cert_file = options.cert_file;
  options_.key_file = options.key_file;
  context_.set(std::move(context));
  resume_->clear();  // sessions verified with the previous files
}

void ClientTls::prepare(SSL* ssl, const std::string& server_name) const {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(server_name, ec);
  if (ec) {
    SSL_set_tlsext_host_name(ssl, server_name.c_str());  // SNI is for names, not addresses
    if (options_.verify) SSL_set1_host(ssl, server_name.c_str());
  } else if (options_.verify) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), address.to_string().c_str());
  }
}

SSL* ClientTls::new_session(int fd, const std::string& server_name, const std::string& node) const {
  const auto current = context();
  SSL* ssl = SSL_new(current->native_handle());  // holds its own reference to the SSL_CTX
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_connect_state(ssl);
  prepare(ssl, server_name);
  if (!node.empty()) resume_->attach(ssl, node);
  return ssl;
}

std::string ClientTls::failure_reason(SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  if (result != X509_V_OK) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
  }
  return "TLS handshake failed";
}

}  // namespace funnel::tls
