// diff_for_reload (see reload_diff.hpp): every key of the key table compared as TOML text, the
// secrets a key names compared by content, split by the reload table (reload_keys.hpp).
#include "config/reload_diff.hpp"

#include <algorithm>
#include <string_view>

#include "config/key_table.hpp"
#include "config/reload_keys.hpp"

namespace funnel::config {
namespace {

bool same_users(const std::vector<UserConfig>& a, const std::vector<UserConfig>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const UserConfig& x, const UserConfig& y) {
        return x.name == y.name && x.password_sha256 == y.password_sha256 &&
               x.password_file == y.password_file && x.password_env == y.password_env &&
               x.rules == y.rules && x.password == y.password &&
               x.max_connections == y.max_connections &&
               x.max_commands_per_s == y.max_commands_per_s && x.max_pinned == y.max_pinned;
      });
}

bool same_nodes(const std::vector<NodeConfig>& a, const std::vector<NodeConfig>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const NodeConfig& x, const NodeConfig& y) {
        return x.address.host == y.address.host && x.address.port == y.address.port &&
               x.zone == y.zone && x.user == y.user && x.password_file == y.password_file &&
               x.password == y.password && x.tls_server_name == y.tls_server_name &&
               x.tls_ca_file == y.tls_ca_file;
      });
}

// Whether `key` goes under `live` for this pair of configurations: its row, except that with a
// Redis Cluster the slot map is the topology and the replica pools are made at start, so there
// the [topology] keys and the backend address wait for a restart; and the TLS files are live
// only while TLS stays on.
bool live_here(std::string_view key, const Config& running, const Config& next) {
  // connections_per_node defaults to one per worker: when it only follows a change of
  // server.workers, it waits for the restart that applies the worker count.
  if (key == "backend.connections_per_node" && running.server.workers != next.server.workers &&
      running.backend.connections_per_node == running.server.workers &&
      next.backend.connections_per_node == next.server.workers) {
    return false;
  }
  const bool cluster = running.cluster.enabled() || next.cluster.enabled();
  if (cluster && (key.starts_with("topology.") || key == "backend.address" ||
                  key == "backend.connections_per_node")) {
    return false;
  }
  // Other TLS files are live while TLS stays on; turning it on or off needs a restart (the
  // listeners and the links are made plain or TLS at start).
  if (key == "tls.cert_file" || key == "tls.key_file" || key == "tls.client_ca_file") {
    if (!running.tls.enabled() || !next.tls.enabled()) return false;
  }
  if (key == "backend.tls_ca_file" || key == "backend.tls_cert_file" ||
      key == "backend.tls_key_file") {
    if (running.backend.tls == 0 || next.backend.tls == 0) return false;
  }
  return reloads_live(key);
}

void add(ReloadDiff& diff, const std::string& key, bool live) {
  std::vector<std::string>& list = live ? diff.live : diff.restart;
  if (std::find(list.begin(), list.end(), key) == list.end()) list.push_back(key);
}

}  // namespace

ReloadDiff diff_for_reload(const Config& running, const Config& next) {
  ReloadDiff diff;
  // current_value() takes a mutable Config (the key table's accessors return references).
  Config before = running;
  Config after = next;
  for (const KeySpec& spec : all_keys()) {
    if (current_value(spec, before) == current_value(spec, after)) continue;
    const std::string key = spec.key();
    add(diff, key, live_here(key, running, next));
  }
  // A secret rewritten in the same file is a change of the key that names the file.
  if (running.auth.requirepass != next.auth.requirepass) {
    add(diff, "auth.requirepass_file", live_here("auth.requirepass_file", running, next));
  }
  if (running.backend.password != next.backend.password) {
    add(diff, "backend.password_file", live_here("backend.password_file", running, next));
  }
  if (running.admin.token != next.admin.token) {
    add(diff, "admin.token_file", live_here("admin.token_file", running, next));
  }
  if (running.topology.sentinel_password != next.topology.sentinel_password) {
    add(diff, "topology.sentinel_password_file",
        live_here("topology.sentinel_password_file", running, next));
  }
  if (!same_users(running.auth.users, next.auth.users)) {
    add(diff, "auth.users", live_here("auth.users", running, next));
  }
  // [[topology.nodes]] is not in the key table (an array of tables): compared here, so a reload
  // names it rather than saying nothing changed.
  if (!same_nodes(running.topology.nodes, next.topology.nodes)) {
    add(diff, "topology.nodes", live_here("topology.nodes", running, next));
  }
  return diff;
}

}  // namespace funnel::config
