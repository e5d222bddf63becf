// backend.serverless (see serverless.hpp). ElastiCache Serverless is a cluster-mode endpoint
// owning every slot, reached only over TLS, with database 0 only; reads from replicas go to a
// second port of the same name, on connections that sent READONLY.
#include "config/serverless.hpp"

#include <string>

#include "config/value_text.hpp"

namespace funnel::config {

namespace {

// The endpoint Serverless mode is about: backend.address, or the only cluster seed.
const HostPort* endpoint_of(const Config& config) {
  if (config.backend.address) return &*config.backend.address;
  if (config.cluster.seeds.size() == 1) return &config.cluster.seeds.front();
  return nullptr;
}

}  // namespace

bool is_serverless_endpoint(std::string_view host) {
  std::string name = lower(host);
  if (name.ends_with('.')) name.pop_back();
  constexpr std::string_view kSuffix = ".cache.amazonaws.com";
  if (!name.ends_with(kSuffix)) return false;
  name.resize(name.size() - kSuffix.size());  // <cache>.serverless.<region code>
  const std::size_t region_dot = name.rfind('.');
  if (region_dot == std::string::npos || region_dot + 1 == name.size()) return false;
  const std::string_view rest = std::string_view(name).substr(0, region_dot);
  return rest.ends_with(".serverless") && rest.size() > std::string_view(".serverless").size();
}

void resolve_serverless(Config& config) {
  BackendConfig& b = config.backend;
  const HostPort* endpoint = endpoint_of(config);
  const bool named = endpoint != nullptr && is_serverless_endpoint(endpoint->host);
  b.serverless_on = b.serverless == "on" || (b.serverless == "auto" && named);
  if (!b.serverless_on) return;
  if (endpoint == nullptr) {
    throw ConfigError(show_text("backend.serverless", b.serverless) +
                      " needs the cache's endpoint: set backend.address (--backend) to it, e.g. "
                      "my-cache-abc123.serverless.use1.cache.amazonaws.com:6379");
  }
  const HostPort seed = *endpoint;
  const std::uint32_t read_port =
      b.serverless_read_port != 0 ? b.serverless_read_port : seed.port + 1u;
  if (read_port > 65535) {
    throw ConfigError(show("backend.serverless_read_port", "0") + ": the endpoint's port " +
                      std::to_string(seed.port) + " + 1 is not a port; set it explicitly");
  }
  if (b.address && config.cluster.seeds.empty()) {  // both set: the topology check says so
    config.cluster.seeds = {seed};
    b.address.reset();
  }
  config.cluster.read_endpoint = HostPort{seed.host, static_cast<std::uint16_t>(read_port)};
  b.max_database_pools = 0;
  if (b.iam()) b.iam_serverless = 1;  // its tokens name the serverless cache (ResourceType)
  if (named) b.tls = 1;               // the service speaks TLS only
}

}  // namespace funnel::config
