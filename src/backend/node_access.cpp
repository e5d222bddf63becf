// NodeAccessTable and the lookups links make when they connect (see node_access.hpp).
#include "backend/node_access.hpp"

namespace funnel::backend {
namespace {

const NodeAccess* lookup(const LinkSettings& settings, std::string_view address) {
  return settings.node_access ? settings.node_access->find(address) : nullptr;
}

NodeAccess access_of(const config::Config& config, const config::NodeConfig& node) {
  NodeAccess access;
  if (node.password) {
    BackendCredentials credentials;
    credentials.user = node.user;
    credentials.password = std::make_shared<const std::string>(*node.password);
    access.credentials = std::make_shared<CredentialSource>(std::move(credentials));
  }
  if (config.backend.tls != 0 && !node.tls_ca_file.empty()) {
    access.tls = std::make_shared<tls::ClientTls>(
        tls::ClientTlsOptions{.ca_file = node.tls_ca_file,
                              .verify = config.backend.tls_verify != 0,
                              .cert_file = config.backend.tls_cert_file,
                              .key_file = config.backend.tls_key_file});
  }
  access.tls_server_name = node.tls_server_name;
  return access;
}

}  // namespace

const NodeAccess* NodeAccessTable::find(std::string_view address) const {
  for (const auto& [name, access] : nodes) {
    if (name == address) return &access;
  }
  return nullptr;
}

std::shared_ptr<const NodeAccessTable> make_node_access(const config::Config& config) {
  auto table = std::make_shared<NodeAccessTable>();
  for (const config::NodeConfig& node : config.topology.nodes) {
    NodeAccess access = access_of(config, node);
    if (!access.credentials && !access.tls && access.tls_server_name.empty()) continue;
    table->nodes.emplace_back(node.address.to_string(), std::move(access));
  }
  if (table->nodes.empty()) return nullptr;
  return table;
}

const CredentialSource& credentials_for(const LinkSettings& settings, std::string_view address) {
  const NodeAccess* access = lookup(settings, address);
  return access != nullptr && access->credentials ? *access->credentials : *settings.credentials;
}

tls::ClientTls* tls_for(const LinkSettings& settings, std::string_view address) {
  if (!settings.tls) return nullptr;  // backend.tls off: no node speaks TLS
  const NodeAccess* access = lookup(settings, address);
  return access != nullptr && access->tls ? access->tls.get() : settings.tls.get();
}

const std::string* node_server_name(const LinkSettings& settings, std::string_view address) {
  const NodeAccess* access = lookup(settings, address);
  return access != nullptr && !access->tls_server_name.empty() ? &access->tls_server_name : nullptr;
}

}  // namespace funnel::backend
