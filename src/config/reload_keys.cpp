// The reload table (see reload_keys.hpp). A key is live when every place that reads it either
// reads it per request or per new connection/link from the worker's current settings, or is
// told on reload (server/reload_apply.cpp). Restart-only keys say why, row by row.
#include "config/reload_keys.hpp"

#include <algorithm>
#include <array>

#include "config/key_table.hpp"

namespace funnel::config {
namespace {

constexpr ReloadWhen kLive = ReloadWhen::kLive;
constexpr ReloadWhen kRestart = ReloadWhen::kRestart;

// clang-format off
constexpr std::array kRules = {
  // The listening sockets are bound once; moving them is a hot restart (funnel --takeover).
  ReloadRule{"server.listen", kRestart},
  // Threads, each with its own clients and links: the link budget and every per-worker table
  // are sized by it.
  ReloadRule{"server.workers", kRestart},
  ReloadRule{"server.max_clients", kLive},            // checked at each accept
  ReloadRule{"server.idle_client_timeout_s", kLive},  // checked on each worker's tick
  // Set on the listening socket, which accepted sockets inherit it from.
  ReloadRule{"server.tcp_keepalive_s", kRestart},
  ReloadRule{"server.drain_timeout_ms", kLive},       // read when the drain starts
  // Which replicas are local is decided as each topology view is published, from the zone of
  // the start ([[topology.nodes]] entries, read at start too, are not keys of this table).
  ReloadRule{"server.zone", kRestart},
  // The takeover socket is bound at start; the spread-close window is read from the running
  // configuration when a takeover happens (process_takeover.cpp), which a reload does not touch.
  ReloadRule{"server.takeover_socket", kRestart},
  ReloadRule{"server.takeover_drain_ms", kRestart},
  // Each worker's accept pacer is configured again from its settings on reload (apply_limits).
  ReloadRule{"server.accept_rate_per_s", kLive},
  ReloadRule{"server.accept_burst", kLive},
  ReloadRule{"server.accept_max_delay_ms", kLive},
  // A new topology monitor watches the new address; its view moves the primary as a failover
  // does: new links come up there, new requests go there, the old links drain and close.
  ReloadRule{"backend.address", kLive},
  // The pools grow or shrink in two steps (backend/pool_resize.cpp): each worker routes by the
  // new count once its sessions' requests in flight on the old one are answered, and the links
  // beyond it close once every worker has switched, after answering what they carry. In a
  // Redis Cluster the shard pools keep their count until a restart (reload_diff.cpp).
  ReloadRule{"backend.connections_per_node", kLive},
  // New links log in with the credentials of the last reload; open links stay logged in.
  ReloadRule{"backend.user", kLive},
  ReloadRule{"backend.password_file", kLive},
  // Stored in the process-wide link settings (common::LiveMillis): every link reads the current
  // value when it arms a timer or checks a deadline, the sessions read their worker's copy. A
  // request already sent keeps the deadline it was given. The health checks keep the tighter
  // timeouts they were built with.
  ReloadRule{"backend.connect_timeout_ms", kLive},
  ReloadRule{"backend.request_timeout_ms", kLive},
  ReloadRule{"backend.link_stall_timeout_ms", kLive},
  // The process-wide failover gate (routing/failover_hold.hpp) is configured again; a hold that
  // began keeps its deadline, the next one uses the new value.
  ReloadRule{"backend.failover_hold_ms", kLive},
  // In the process-wide link settings (a relaxed atomic every link reads when it writes).
  ReloadRule{"backend.max_in_flight_per_link", kLive},
  ReloadRule{"backend.reconnect_backoff_min_ms", kLive},  // read at each failed connect
  ReloadRule{"backend.reconnect_backoff_max_ms", kLive},
  // Read by the topology monitor, which a reload of it replaces (Control::set_sources).
  ReloadRule{"backend.resolve_interval_s", kLive},
  // Each worker's pinned pools take the new bounds (Worker::apply_pinned_and_sampling): new
  // leases and waits use them; links over a lowered max_pinned stay with their lessees and close
  // when given back.
  ReloadRule{"backend.max_pinned", kLive},
  ReloadRule{"backend.pinned_borrow_timeout_ms", kLive},
  // Kept as at start: a client already on a database beyond a lowered count would stay there.
  ReloadRule{"backend.databases", kRestart},
  // The process-wide admission bound is set again (DatabasePools::set_limit): a raised bound
  // admits more databases; a lowered one admits none beyond it, and the admitted keep their pools.
  ReloadRule{"backend.max_database_pools", kLive},
  // Backend TLS: every link is made plain or TLS, and its verification and name set, at start,
  // so turning TLS on or off, tls_verify and tls_server_name need a restart. Other files are
  // loaded and checked before the reload applies anything (a file that cannot be used makes it
  // invalid), then new links use them (reload_diff.cpp: live only while TLS stays on). Every
  // reload also re-reads the files under the same paths.
  ReloadRule{"backend.tls", kRestart},
  ReloadRule{"backend.tls_ca_file", kLive},
  ReloadRule{"backend.tls_verify", kRestart},
  ReloadRule{"backend.tls_server_name", kRestart},
  ReloadRule{"backend.tls_cert_file", kLive},
  ReloadRule{"backend.tls_key_file", kLive},
  // IAM: the token maker runs on the control thread with the identity it started with (SIGHUP
  // makes a fresh token).
  ReloadRule{"backend.iam_user", kRestart},
  ReloadRule{"backend.iam_cache_id", kRestart},
  ReloadRule{"backend.iam_region", kRestart},
  ReloadRule{"backend.iam_service", kRestart},
  ReloadRule{"backend.iam_serverless", kRestart},
  ReloadRule{"backend.iam_token_refresh_s", kRestart},
  ReloadRule{"backend.iam_reauth_s", kRestart},
  // Serverless mode shapes the topology (cluster mode, the read endpoint) at start.
  ReloadRule{"backend.serverless", kRestart},
  ReloadRule{"backend.serverless_read_port", kRestart},
  // Users, passwords and the deny list: new AUTHs use the new set; an authenticated client keeps
  // its session, with its user's new rules from its next command (as Redis's ACL SETUSER), and
  // is closed if its user was removed (as ACL DELUSER).
  ReloadRule{"auth.users", kLive},
  // [[topology.nodes]]: each node's credentials, TLS name and zone are read when its links and
  // health checks are made at start (backend/node_access.*); a reload names the change and keeps
  // the running entries (funnel --takeover applies them without closing clients).
  ReloadRule{"topology.nodes", kRestart},
  ReloadRule{"auth.requirepass_file", kLive},
  ReloadRule{"auth.deny_commands", kLive},
  ReloadRule{"auth.backend_enforces_deny_list", kLive},
  // The backend user checker is made at start (with its control-side connections).
  ReloadRule{"auth.users_from_backend", kRestart},
  ReloadRule{"auth.backend_users_cache_ms", kRestart},
  // The AUTH throttle is one process-wide object: its bounds are set again (under its lock), the
  // failures counted and the holds in progress stay.
  ReloadRule{"auth.free_failures", kLive},
  ReloadRule{"auth.failure_delay_ms", kLive},
  ReloadRule{"auth.failure_max_delay_ms", kLive},
  ReloadRule{"auth.max_held_per_address", kLive},
  ReloadRule{"auth.max_held_total", kLive},
  // Per-user limits are part of the user directory a reload rebuilds; the counts of connections
  // in use live in the process's user board and carry over (security/user_limits.hpp).
  ReloadRule{"auth.default_max_connections", kLive},
  ReloadRule{"auth.default_max_commands_per_s", kLive},
  ReloadRule{"auth.default_max_pinned", kLive},
  // Limits are read per request or per batch from the worker's settings.
  ReloadRule{"limits.max_request_bytes", kLive},
  ReloadRule{"limits.buffer_budget_bytes", kLive},
  ReloadRule{"limits.client_output_soft_bytes", kLive},
  ReloadRule{"limits.client_output_hard_bytes", kLive},
  ReloadRule{"limits.pubsub_output_hard_bytes", kLive},
  ReloadRule{"limits.pubsub_output_soft_bytes", kLive},
  ReloadRule{"limits.pubsub_output_soft_seconds", kLive},
  ReloadRule{"limits.max_pipeline_per_client", kLive},
  ReloadRule{"limits.max_unauthenticated_request_bytes", kLive},
  ReloadRule{"limits.slowlog_slower_than_us", kLive},
  ReloadRule{"limits.slowlog_max_len", kLive},  // the rings keep their newest entries
  // The admin listener is bound at start (a hot restart, funnel --takeover, moves it); its token
  // (the file re-read) and bounds are set again on its thread (AdminHttp::reconfigure): the
  // requests and connections that start after the reload use them.
  ReloadRule{"admin.listen", kRestart},
  ReloadRule{"admin.metrics", kLive},  // read per request by the sessions
  ReloadRule{"admin.token_file", kLive},
  ReloadRule{"admin.max_connections", kLive},
  ReloadRule{"admin.header_timeout_ms", kLive},
  ReloadRule{"admin.request_timeout_ms", kLive},
  ReloadRule{"admin.idle_timeout_ms", kLive},
  ReloadRule{"admin.max_header_bytes", kLive},
  // Client TLS: the listeners are bound plain or TLS at start (tls.listen, and turning TLS on or
  // off: a hot restart, funnel --takeover). Other files are loaded and checked before the reload
  // applies anything, then new connections use them (live while TLS stays on); every reload
  // also re-reads the files under the same paths.
  ReloadRule{"tls.cert_file", kLive},
  ReloadRule{"tls.key_file", kLive},
  ReloadRule{"tls.client_ca_file", kLive},
  ReloadRule{"tls.listen", kRestart},
  ReloadRule{"log.level", kLive},
  // Topology sources and what the monitor does with them: the control thread starts a new
  // monitor with them (Control::set_sources) and the workers get its snapshots. In a Redis
  // Cluster the slot map is the source, so there they need a restart (reload_diff.cpp).
  ReloadRule{"topology.replicas", kLive},
  ReloadRule{"topology.discover", kLive},
  ReloadRule{"topology.sentinels", kLive},
  ReloadRule{"topology.sentinel_master", kLive},
  ReloadRule{"topology.sentinel_user", kLive},
  ReloadRule{"topology.sentinel_password_file", kLive},
  // Where reads go: each worker's read routes take the new policy (a Redis Cluster's replica
  // pools are made at start, so there the diff reports it as needing a restart).
  ReloadRule{"topology.read_policy", kLive},
  ReloadRule{"topology.health_interval_ms", kLive},
  ReloadRule{"topology.max_replica_lag_bytes", kLive},
  ReloadRule{"topology.max_replica_lag_s", kLive},
  // The new monitor polls the offsets (or not); the workers' read routes take the new scope,
  // which covers the writes answered from then on.
  ReloadRule{"topology.read_your_writes", kLive},
  ReloadRule{"topology.offset_poll_ms", kLive},
  ReloadRule{"topology.sentinel_refresh_ms", kLive},
  ReloadRule{"topology.sentinel_tls", kLive},
  // A Redis Cluster's seeds and face are set up at start (issue #16).
  ReloadRule{"cluster.seeds", kRestart},
  ReloadRule{"cluster.announce", kRestart},
  ReloadRule{"cluster.refresh_ms", kRestart},
  // [shield] (issue #18). Coalescing: each worker makes its rules again between two batches
  // (sessions read them per request); a read already joined to another's reply gets it.
  ReloadRule{"shield.coalesce", kLive},
  ReloadRule{"shield.coalesce_commands", kLive},
  ReloadRule{"shield.coalesce_unsafe_for_tests", kLive},
  // The near cache: its tracking link (BCAST with the prefixes), rules and per-worker stores are
  // made at start. Live would need every worker to drop its store and the tracker to re-enable
  // tracking with the new prefixes in one step, so no entry outlives the prefixes that keep it
  // exact (server/near_cache_tracker.*): not built yet.
  ReloadRule{"shield.near_cache", kRestart},
  ReloadRule{"shield.near_cache_prefixes", kRestart},
  ReloadRule{"shield.near_cache_commands", kRestart},
  ReloadRule{"shield.near_cache_max_bytes", kRestart},
  ReloadRule{"shield.near_cache_max_entries", kRestart},
  ReloadRule{"shield.near_cache_max_value_bytes", kRestart},
  ReloadRule{"shield.near_cache_unsafe_for_tests", kRestart},
  // Hot-key sampling: the tables are made at start even when off; a reload sets the rate and the
  // window (client::HotKeys::configure) and each worker's countdown; 0 turns sampling off.
  ReloadRule{"shield.hotkeys_sample_every", kLive},
  ReloadRule{"shield.hotkeys_window_s", kLive},
};
// clang-format on

void copy_value(const KeySpec& spec, Config& source, Config& running) {
  if (spec.u32 != nullptr) spec.u32(running) = spec.u32(source);
  if (spec.u64 != nullptr) spec.u64(running) = spec.u64(source);
  if (spec.text != nullptr) spec.text(running) = spec.text(source);
  if (spec.address != nullptr) spec.address(running) = spec.address(source);
  if (spec.optional_address != nullptr) {
    spec.optional_address(running) = spec.optional_address(source);
  }
  if (spec.address_list != nullptr) spec.address_list(running) = spec.address_list(source);
}

}  // namespace

std::span<const ReloadRule> reload_rules() {
  return kRules;
}

const ReloadRule* find_reload_rule(std::string_view key) {
  const auto it = std::find_if(kRules.begin(), kRules.end(),
                               [&](const ReloadRule& rule) { return rule.key == key; });
  return it == kRules.end() ? nullptr : &*it;
}

bool reloads_live(std::string_view key) {
  const ReloadRule* rule = find_reload_rule(key);
  return rule != nullptr && rule->when == ReloadWhen::kLive;
}

std::string_view reload_word(ReloadWhen when) {
  return when == ReloadWhen::kLive ? "live" : "restart";
}

void copy_keys(const Config& next, Config& running, std::span<const std::string> keys) {
  Config source = next;  // the key table's accessors take a mutable Config
  for (const std::string& key : keys) {
    if (key == "auth.users") running.auth.users = next.auth.users;
    if (key == "auth.requirepass_file") running.auth.requirepass = next.auth.requirepass;
    if (key == "backend.password_file") running.backend.password = next.backend.password;
    if (key == "admin.token_file") running.admin.token = next.admin.token;
    if (key == "topology.sentinel_password_file") {
      running.topology.sentinel_password = next.topology.sentinel_password;
    }
    const std::size_t dot = key.find('.');
    if (const KeySpec* spec =
            find_key(std::string_view(key).substr(0, dot), std::string_view(key).substr(dot + 1))) {
      copy_value(*spec, source, running);
    }
  }
}

void copy_live_keys(const Config& next, Config& running) {
  std::vector<std::string> live;
  for (const ReloadRule& rule : kRules) {
    if (rule.when == ReloadWhen::kLive) live.emplace_back(rule.key);
  }
  copy_keys(next, running, live);
}

}  // namespace funnel::config
