// Per-node credentials and TLS settings (issue #19, [[topology.nodes]] in docs/topology.md): what
// one node's links use instead of the process-wide LinkSettings, when its entry says so. Built at
// start from the configuration and looked up by the node's address ("host:port", as its
// BackendSnapshot names it) when a link connects, so every link to the node (shared, pinned,
// control, health) logs in and checks the certificate the same way. Never on the request path.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/link_settings.hpp"
#include "config/config.hpp"

namespace funnel::backend {

struct NodeAccess {
  std::shared_ptr<CredentialSource> credentials;  // null: LinkSettings::credentials
  std::shared_ptr<tls::ClientTls> tls;            // null: LinkSettings::tls (a CA of its own)
  std::string tls_server_name;                    // empty: LinkSettings' or the node's host
};

struct NodeAccessTable {
  std::vector<std::pair<std::string, NodeAccess>> nodes;  // by "host:port"
  const NodeAccess* find(std::string_view address) const;
};

// The table for config.topology.nodes (null when no entry sets a credential or TLS setting).
// Throws std::runtime_error (from tls::ClientTls) for an unreadable CA file.
std::shared_ptr<const NodeAccessTable> make_node_access(const config::Config& config);

// What a link to `address` uses: the node's own, else the process-wide settings.
const CredentialSource& credentials_for(const LinkSettings& settings, std::string_view address);
tls::ClientTls* tls_for(const LinkSettings& settings, std::string_view address);
// The node's own tls_server_name, or null.
const std::string* node_server_name(const LinkSettings& settings, std::string_view address);

}  // namespace funnel::backend
