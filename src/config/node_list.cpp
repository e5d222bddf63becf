// [[topology.nodes]]: loading and the cross-key checks (see node_list.hpp).
#include "config/node_list.hpp"
#include "config/node_list_toml.hpp"

#include <algorithm>
#include <cstdlib>

#include "config/value_text.hpp"

namespace funnel::config {
namespace {

constexpr std::string_view kFields[] = {"address",         "zone",       "user", "password_file",
                                        "tls_server_name", "tls_ca_file"};

std::string valid_fields() {
  std::string out;
  for (std::string_view field : kFields) out += (out.empty() ? "" : ", ") + std::string(field);
  return out;
}

void require(bool ok, const std::string& message) {
  if (!ok) throw ConfigError(message);
}

void load_entry(Config& config, const toml::node& node, const std::string& where) {
  const toml::table* table = node.as_table();
  require(table != nullptr,
          where +
              ": expected a table ([[topology.nodes]] with address = \"host:port\", zone = "
              "...)");
  NodeConfig entry;
  bool has_address = false;
  for (auto&& [key, value] : *table) {
    const std::string field(key.str());
    const std::string shown = where + "." + field;
    if (field == "password") {
      throw ConfigError(shown +
                        " is not supported: a password does not belong in the config file; put "
                        "it in a file and set password_file");
    }
    if (std::find(std::begin(kFields), std::end(kFields), field) == std::end(kFields)) {
      std::string hint = closest(field, kFields);
      throw ConfigError("unknown key " + shown +
                        (hint.empty() ? "" : " (did you mean " + hint + "?)") +
                        "; valid keys in [[topology.nodes]]: " + valid_fields());
    }
    const auto* text = value.as_string();
    require(text != nullptr, shown + ": expected a string");
    if (field == "address") {
      entry.address = parse_host_port(text->get(), shown);
      has_address = true;
    }
    if (field == "zone") entry.zone = text->get();
    if (field == "user") entry.user = text->get();
    if (field == "password_file") entry.password_file = text->get();
    if (field == "tls_server_name") entry.tls_server_name = text->get();
    if (field == "tls_ca_file") entry.tls_ca_file = text->get();
  }
  require(has_address, where +
                           " has no address: give the node's address = \"host:port\" as "
                           "backend.address, topology.replicas or the source names it");
  config.topology.nodes.push_back(std::move(entry));
}

bool one_word(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](unsigned char c) { return c <= ' '; });
}

// With a fixed node list (backend.address, topology.replicas), an entry naming another address
// is a typo that would silently not apply.
bool named_by_config(const Config& config, const HostPort& address) {
  const TopologyConfig& t = config.topology;
  if (t.discover || !t.sentinels.empty()) return true;  // the source names the nodes
  if (config.backend.address == address) return true;
  return std::find(t.replicas.begin(), t.replicas.end(), address) != t.replicas.end();
}

// The node's own login and TLS settings: a user needs the password it logs in with; TLS
// settings need TLS. The password is read here, like backend.password (never shown).
void resolve_access(Config& config, NodeConfig& entry, const std::string& where) {
  if (!entry.password_file.empty()) {
    entry.password = read_secret_source(entry.password_file, where + ".password_file", "");
  }
  require(entry.user.empty() || entry.password.has_value(),
          show_text(where + ".user", entry.user) +
              " is set but the node has no password of its own: set " + where +
              ".password_file (a node's user and password go together)");
  require((entry.tls_server_name.empty() && entry.tls_ca_file.empty()) || config.backend.tls != 0,
          where +
              ".tls_server_name / tls_ca_file are set but backend.tls is off: set "
              "backend.tls = 1 (--backend-tls), or remove them");
}

void check_entry(Config& config, std::size_t i) {
  NodeConfig& entry = config.topology.nodes[i];
  const std::string where = "topology.nodes[" + std::to_string(i) + "]";
  const std::string address = entry.address.to_string();
  for (std::size_t j = 0; j < i; ++j) {
    require(config.topology.nodes[j].address != entry.address,
            show_text(where + ".address", address) + " is listed twice: give each node one entry");
  }
  require(named_by_config(config, entry.address),
          show_text(where + ".address", address) +
              " is not backend.address or one of topology.replicas: name the node as they do");
  require(one_word(entry.zone),
          show_text(where + ".zone", entry.zone) + ": a zone has no spaces or control characters");
  resolve_access(config, entry, where);
}

}  // namespace

void load_node_list(Config& config, const toml::node& node) {
  const toml::array* array = node.as_array();
  require(array != nullptr,
          "topology.nodes: expected an array of tables ([[topology.nodes]] entries)");
  for (std::size_t i = 0; i < array->size(); ++i) {
    load_entry(config, *array->get(i), "topology.nodes[" + std::to_string(i) + "]");
  }
}

void check_node_list(Config& config) {
  require(config.topology.nodes.empty() || !config.cluster.enabled(),
          "topology.nodes is set together with cluster.seeds: per-node settings are not "
          "supported for a Redis Cluster yet; remove the [[topology.nodes]] entries");
  for (std::size_t i = 0; i < config.topology.nodes.size(); ++i) check_entry(config, i);
  if (config.server.zone.empty()) {
    if (const char* zone = std::getenv("AWS_AVAILABILITY_ZONE")) config.server.zone = zone;
  }
  require(one_word(config.server.zone),
          show_text("server.zone", config.server.zone) +
              " (or AWS_AVAILABILITY_ZONE): a zone has no spaces or control characters");
  require(config.topology.read_policy != "prefer-local-zone" || !config.server.zone.empty(),
          "topology.read_policy = \"prefer-local-zone\" needs Funnel's own zone: set server.zone "
          "(--zone), or the AWS_AVAILABILITY_ZONE environment variable, to the zone Funnel runs "
          "in (e.g. us-east-1a)");
}

}  // namespace funnel::config

namespace funnel::config {

const NodeConfig* TopologyConfig::node(const HostPort& address) const {
  for (const NodeConfig& entry : nodes) {
    if (entry.address == address) return &entry;
  }
  return nullptr;
}

}  // namespace funnel::config
