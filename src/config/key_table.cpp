// The table of every configuration key and the conversion of given values (TOML or flag text)
// into Config fields, with range checks. One table keeps the file, the flags and the docs in step.
#include "config/key_table.hpp"

#include <algorithm>
#include <array>
#include <type_traits>

namespace funnel::config {
namespace {

static_assert(std::is_same_v<unsigned, std::uint32_t>, "accessors bind unsigned fields as u32");

constexpr std::uint64_t kKb = 1024;
constexpr std::uint64_t kMb = kKb << 10;
constexpr std::uint64_t kGb = kMb << 10;
constexpr std::uint64_t kTb = kGb << 10;
constexpr std::uint64_t kHour = 3'600'000;  // the longest timeout we accept, in milliseconds

using U32 = std::uint32_t& (*)(Config&);
using U64 = std::uint64_t& (*)(Config&);

constexpr KeySpec integer(std::string_view table, std::string_view name, std::string_view flag,
                          std::uint64_t min, std::uint64_t max, std::string_view unit, U32 field) {
  return {.table = table,
          .name = name,
          .kind = KeyKind::kInteger,
          .flag = flag,
          .min = min,
          .max = max,
          .unit = unit,
          .u32 = field};
}

constexpr KeySpec size(std::string_view table, std::string_view name, std::uint64_t min,
                       std::uint64_t max, std::string_view unit, U64 field) {
  return {.table = table,
          .name = name,
          .kind = KeyKind::kSize,
          .min = min,
          .max = max,
          .unit = unit,
          .u64 = field};
}

constexpr KeySpec text(std::string_view table, std::string_view name, std::string_view flag,
                       std::string& (*field)(Config&)) {
  return {.table = table, .name = name, .kind = KeyKind::kText, .flag = flag, .text = field};
}

constexpr KeySpec choice(std::string_view table, std::string_view name, std::string_view flag,
                         std::span<const std::string_view> choices,
                         std::string& (*field)(Config&)) {
  return {.table = table,
          .name = name,
          .kind = KeyKind::kChoice,
          .flag = flag,
          .text = field,
          .choices = choices};
}

constexpr KeySpec address_list(std::string_view table, std::string_view name, std::string_view flag,
                               std::vector<HostPort>& (*field)(Config&)) {
  return {.table = table,
          .name = name,
          .kind = KeyKind::kAddressList,
          .flag = flag,
          .address_list = field};
}

constexpr std::array kTables = {std::string_view{"server"},   std::string_view{"backend"},
                                std::string_view{"auth"},     std::string_view{"limits"},
                                std::string_view{"admin"},    std::string_view{"tls"},
                                std::string_view{"topology"}, std::string_view{"cluster"},
                                std::string_view{"log"},      std::string_view{"shield"}};

// clang-format off
constexpr std::array kKeys = {
  KeySpec{.table = "server", .name = "listen", .kind = KeyKind::kAddress, .flag = "--listen",
          .address = [](Config& c) -> HostPort& { return c.server.listen; }},
  integer("server", "workers", "--workers", 0, 256, "threads; 0 = one per usable CPU",
          [](Config& c) -> std::uint32_t& { return c.server.workers; }),
  integer("server", "max_clients", "--max-clients", 1, 1'000'000, "client connections",
          [](Config& c) -> std::uint32_t& { return c.server.max_clients; }),
  integer("server", "idle_client_timeout_s", "--idle-client-timeout-s", 0, 604'800,
          "seconds; 0 disables",
          [](Config& c) -> std::uint32_t& { return c.server.idle_client_timeout_s; }),
  integer("server", "tcp_keepalive_s", "", 0, 32'767, "seconds; 0 disables",
          [](Config& c) -> std::uint32_t& { return c.server.tcp_keepalive_s; }),
  integer("server", "drain_timeout_ms", "", 0, kHour, "milliseconds; 0 closes clients at once",
          [](Config& c) -> std::uint32_t& { return c.server.drain_timeout_ms; }),
  text("server", "zone", "--zone", [](Config& c) -> std::string& { return c.server.zone; }),
  text("server", "takeover_socket", "--takeover-socket", [](Config& c) -> std::string& {
    return c.server.takeover_socket; }),
  integer("server", "takeover_drain_ms", "--takeover-drain-ms", 0, kHour,
          "milliseconds; 0 closes idle clients at once",
          [](Config& c) -> std::uint32_t& { return c.server.takeover_drain_ms; }),
  integer("server", "accept_rate_per_s", "--accept-rate", 0, 10'000'000,
          "connections per second; 0 = unlimited",
          [](Config& c) -> std::uint32_t& { return c.server.accept_rate_per_s; }),
  integer("server", "accept_burst", "", 1, 10'000'000, "connections taken at once",
          [](Config& c) -> std::uint32_t& { return c.server.accept_burst; }),
  integer("server", "accept_max_delay_ms", "", 0, 60'000,
          "milliseconds a connection may wait in the listen backlog",
          [](Config& c) -> std::uint32_t& { return c.server.accept_max_delay_ms; }),
  KeySpec{.table = "backend", .name = "address", .kind = KeyKind::kAddress, .flag = "--backend",
          .optional_address = [](Config& c) -> std::optional<HostPort>& {
            return c.backend.address; }},
  integer("backend", "connections_per_node", "--connections-per-node", 0, 1024,
          "links per node; 0 = one per worker",
          [](Config& c) -> std::uint32_t& { return c.backend.connections_per_node; }),
  text("backend", "user", "--backend-user", [](Config& c) -> std::string& {
    return c.backend.user; }),
  text("backend", "password_file", "--backend-password-file", [](Config& c) -> std::string& {
    return c.backend.password_file; }),
  integer("backend", "connect_timeout_ms", "--connect-timeout-ms", 1, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.backend.connect_timeout_ms; }),
  integer("backend", "request_timeout_ms", "--request-timeout-ms", 1, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.backend.request_timeout_ms; }),
  integer("backend", "link_stall_timeout_ms", "", 1, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.backend.link_stall_timeout_ms; }),
  integer("backend", "failover_hold_ms", "--failover-hold-ms", 0, kHour,
          "milliseconds; 0 = fail at once while the primary fails over",
          [](Config& c) -> std::uint32_t& { return c.backend.failover_hold_ms; }),
  integer("backend", "max_in_flight_per_link", "--max-in-flight-per-link", 0, 1'000'000,
          "requests written to one link and not yet answered; 0 = no bound",
          [](Config& c) -> std::uint32_t& { return c.backend.max_in_flight_per_link; }),
  integer("backend", "reconnect_backoff_min_ms", "", 1, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.backend.reconnect_backoff_min_ms; }),
  integer("backend", "reconnect_backoff_max_ms", "", 1, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.backend.reconnect_backoff_max_ms; }),
  integer("backend", "resolve_interval_s", "", 1, 86'400, "seconds",
          [](Config& c) -> std::uint32_t& { return c.backend.resolve_interval_s; }),
  integer("backend", "max_pinned", "--max-pinned", 0, 100'000,
          "dedicated links for WATCH and blocking commands; 0 refuses them",
          [](Config& c) -> std::uint32_t& { return c.backend.max_pinned; }),
  integer("backend", "pinned_borrow_timeout_ms", "", 0, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.backend.pinned_borrow_timeout_ms; }),
  integer("backend", "databases", "", 1, 1'000'000, "the backend's databases setting",
          [](Config& c) -> std::uint32_t& { return c.backend.databases; }),
  integer("backend", "max_database_pools", "", 0, 1024,
          "databases other than 0 with shared links; 0 refuses SELECT n",
          [](Config& c) -> std::uint32_t& { return c.backend.max_database_pools; }),
  integer("backend", "tls", "--backend-tls", 0, 1, "1 speaks TLS to the backend",
          [](Config& c) -> std::uint32_t& { return c.backend.tls; }),
  text("backend", "tls_ca_file", "--backend-ca", [](Config& c) -> std::string& {
    return c.backend.tls_ca_file; }),
  integer("backend", "tls_verify", "", 0, 1, "0 skips certificate and name checks",
          [](Config& c) -> std::uint32_t& { return c.backend.tls_verify; }),
  text("backend", "tls_server_name", "", [](Config& c) -> std::string& {
    return c.backend.tls_server_name; }),
  text("backend", "tls_cert_file", "--backend-tls-cert", [](Config& c) -> std::string& {
    return c.backend.tls_cert_file; }),
  text("backend", "tls_key_file", "--backend-tls-key", [](Config& c) -> std::string& {
    return c.backend.tls_key_file; }),
  text("backend", "iam_user", "--backend-iam-user", [](Config& c) -> std::string& {
    return c.backend.iam_user; }),
  text("backend", "iam_cache_id", "--backend-iam-cache", [](Config& c) -> std::string& {
    return c.backend.iam_cache_id; }),
  text("backend", "iam_region", "--backend-iam-region", [](Config& c) -> std::string& {
    return c.backend.iam_region; }),
  choice("backend", "iam_service", "", kIamServices, [](Config& c) -> std::string& {
    return c.backend.iam_service; }),
  integer("backend", "iam_serverless", "", 0, 1, "1 = an ElastiCache Serverless cache",
          [](Config& c) -> std::uint32_t& { return c.backend.iam_serverless; }),
  integer("backend", "iam_token_refresh_s", "", 1, 840, "seconds",
          [](Config& c) -> std::uint32_t& { return c.backend.iam_token_refresh_s; }),
  choice("backend", "serverless", "", kServerlessModes, [](Config& c) -> std::string& {
    return c.backend.serverless; }),
  integer("backend", "serverless_read_port", "", 0, 65535, "0 = the endpoint's port + 1",
          [](Config& c) -> std::uint32_t& { return c.backend.serverless_read_port; }),
  integer("backend", "iam_reauth_s", "", 1, 43'000, "seconds (the service's limit is 12 h)",
          [](Config& c) -> std::uint32_t& { return c.backend.iam_reauth_s; }),
  text("auth", "requirepass_file", "--requirepass-file", [](Config& c) -> std::string& {
    return c.auth.requirepass_file; }),
  text("auth", "deny_commands", "--deny-commands", [](Config& c) -> std::string& {
    return c.auth.deny_commands; }),
  integer("auth", "free_failures", "", 0, 1'000'000, "failed AUTH per address answered at once",
          [](Config& c) -> std::uint32_t& { return c.auth.free_failures; }),
  integer("auth", "failure_delay_ms", "", 1, 60'000, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.auth.failure_delay_ms; }),
  integer("auth", "failure_max_delay_ms", "", 1, 600'000, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.auth.failure_max_delay_ms; }),
  integer("auth", "max_held_per_address", "", 0, 1'000'000,
          "failed AUTH held at once per address; 0 closes them all at once",
          [](Config& c) -> std::uint32_t& { return c.auth.max_held_per_address; }),
  integer("auth", "max_held_total", "", 0, 1'000'000,
          "failed AUTH held at once for all addresses",
          [](Config& c) -> std::uint32_t& { return c.auth.max_held_total; }),
  integer("auth", "default_max_connections", "", 0, 10'000'000,
          "the default user's connections; 0 = no limit",
          [](Config& c) -> std::uint32_t& { return c.auth.default_max_connections; }),
  integer("auth", "default_max_commands_per_s", "", 0, 100'000'000,
          "the default user's commands per second; 0 = no limit",
          [](Config& c) -> std::uint32_t& { return c.auth.default_max_commands_per_s; }),
  integer("auth", "default_max_pinned", "", 0, 10'000'000,
          "the default user's clients holding a pinned backend link at once; 0 = no limit",
          [](Config& c) -> std::uint32_t& { return c.auth.default_max_pinned; }),
  integer("auth", "backend_enforces_deny_list", "--backend-enforces-deny-list", 0, 1,
          "1 says backend.user already lacks the denied commands (scripts then run where the "
          "backend refuses ACL SETUSER)",
          [](Config& c) -> std::uint32_t& { return c.auth.backend_enforces_deny_list; }),
  integer("auth", "users_from_backend", "--users-from-backend", 0, 1,
          "1 checks users not configured here against the backend (AUTH, ACL GETUSER)",
          [](Config& c) -> std::uint32_t& { return c.auth.users_from_backend; }),
  integer("auth", "backend_users_cache_ms", "--backend-users-cache-ms", 1, kHour,
          "milliseconds a backend user's verdict and rules are kept",
          [](Config& c) -> std::uint32_t& { return c.auth.backend_users_cache_ms; }),
  size("limits", "max_request_bytes", kKb, 4 * kGb, "bytes in one request",
       [](Config& c) -> std::uint64_t& { return c.limits.max_request_bytes; }),
  size("limits", "buffer_budget_bytes", kMb, kTb, "bytes for all client buffers together",
       [](Config& c) -> std::uint64_t& { return c.limits.buffer_budget_bytes; }),
  size("limits", "client_output_soft_bytes", kKb, kTb, "bytes of replies queued for one client",
       [](Config& c) -> std::uint64_t& { return c.limits.client_output_soft_bytes; }),
  size("limits", "client_output_hard_bytes", kKb, kTb, "bytes of replies queued for one client",
       [](Config& c) -> std::uint64_t& { return c.limits.client_output_hard_bytes; }),
  size("limits", "pubsub_output_hard_bytes", kKb, kTb, "bytes queued for one subscriber",
       [](Config& c) -> std::uint64_t& { return c.limits.pubsub_output_hard_bytes; }),
  size("limits", "pubsub_output_soft_bytes", kKb, kTb, "bytes queued for one subscriber",
       [](Config& c) -> std::uint64_t& { return c.limits.pubsub_output_soft_bytes; }),
  integer("limits", "pubsub_output_soft_seconds", "", 0, 86'400, "seconds",
          [](Config& c) -> std::uint32_t& { return c.limits.pubsub_output_soft_seconds; }),
  integer("limits", "max_pipeline_per_client", "", 1, 1'000'000, "requests in flight",
          [](Config& c) -> std::uint32_t& { return c.limits.max_pipeline_per_client; }),
  size("limits", "max_unauthenticated_request_bytes", 512, kMb,
       "bytes in one request before AUTH",
       [](Config& c) -> std::uint64_t& { return c.limits.max_unauthenticated_request_bytes; }),
  integer("limits", "slowlog_slower_than_us", "", 0, 3'600'000'000,
          "microseconds; FUNNEL SLOWLOG logs requests this slow or slower, 0 logs all",
          [](Config& c) -> std::uint32_t& { return c.limits.slowlog_slower_than_us; }),
  integer("limits", "slowlog_max_len", "", 0, 1'000'000,
          "entries FUNNEL SLOWLOG keeps; 0 turns it off",
          [](Config& c) -> std::uint32_t& { return c.limits.slowlog_max_len; }),
  KeySpec{.table = "admin", .name = "listen", .kind = KeyKind::kAddress, .flag = "--admin",
          .optional_address = [](Config& c) -> std::optional<HostPort>& {
            return c.admin.listen; }},
  integer("admin", "metrics", "--metrics", 0, 1,
          "1 counts per-request metrics, 0 leaves them out (connection counters stay)",
          [](Config& c) -> std::uint32_t& { return c.admin.metrics; }),
  text("admin", "token_file", "--admin-token-file", [](Config& c) -> std::string& {
    return c.admin.token_file; }),
  integer("admin", "max_connections", "", 1, 100'000,
          "admin connections held at once; more are closed at once",
          [](Config& c) -> std::uint32_t& { return c.admin.max_connections; }),
  integer("admin", "header_timeout_ms", "", 1, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.admin.header_timeout_ms; }),
  integer("admin", "request_timeout_ms", "", 1, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.admin.request_timeout_ms; }),
  integer("admin", "idle_timeout_ms", "", 1, kHour, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.admin.idle_timeout_ms; }),
  size("admin", "max_header_bytes", kKb, 64 * kKb, "bytes in one request's header",
       [](Config& c) -> std::uint64_t& { return c.admin.max_header_bytes; }),
  text("tls", "cert_file", "--tls-cert", [](Config& c) -> std::string& {
    return c.tls.cert_file; }),
  text("tls", "key_file", "--tls-key", [](Config& c) -> std::string& {
    return c.tls.key_file; }),
  text("tls", "client_ca_file", "--tls-client-ca", [](Config& c) -> std::string& {
    return c.tls.client_ca_file; }),
  KeySpec{.table = "tls", .name = "listen", .kind = KeyKind::kAddress, .flag = "--tls-listen",
          .optional_address = [](Config& c) -> std::optional<HostPort>& {
            return c.tls.listen; }},
  KeySpec{.table = "log", .name = "level", .kind = KeyKind::kLogLevel, .flag = "--log-level",
          .text = [](Config& c) -> std::string& { return c.log.level; }},
  // [topology]: where the primary and replicas are and who serves reads (docs/topology.md);
  // the cross-key rules (one source at a time) are in topology_rules.cpp.
  address_list("topology", "replicas", "--replica", [](Config& c) -> std::vector<HostPort>& {
    return c.topology.replicas; }),
  KeySpec{.table = "topology", .name = "discover", .kind = KeyKind::kAddress, .flag = "--discover",
          .optional_address = [](Config& c) -> std::optional<HostPort>& {
            return c.topology.discover; }},
  address_list("topology", "sentinels", "--sentinel", [](Config& c) -> std::vector<HostPort>& {
    return c.topology.sentinels; }),
  text("topology", "sentinel_master", "--sentinel-master", [](Config& c) -> std::string& {
    return c.topology.sentinel_master; }),
  text("topology", "sentinel_user", "--sentinel-user", [](Config& c) -> std::string& {
    return c.topology.sentinel_user; }),
  text("topology", "sentinel_password_file", "--sentinel-password-file",
       [](Config& c) -> std::string& { return c.topology.sentinel_password_file; }),
  choice("topology", "read_policy", "--read-policy", kReadPolicies,
         [](Config& c) -> std::string& { return c.topology.read_policy; }),
  integer("topology", "health_interval_ms", "--health-interval-ms", 50, 60'000, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.topology.health_interval_ms; }),
  KeySpec{.table = "topology", .name = "max_replica_lag_bytes", .kind = KeyKind::kSize,
          .flag = "--max-replica-lag-bytes", .min = 0, .max = kTb,
          .unit = "bytes of replication offset behind the primary; 0 = no limit",
          .u64 = [](Config& c) -> std::uint64_t& { return c.topology.max_replica_lag_bytes; }},
  integer("topology", "max_replica_lag_s", "--max-replica-lag-s", 0, 3600,
          "seconds since the replica last heard from the primary; 0 = no limit",
          [](Config& c) -> std::uint32_t& { return c.topology.max_replica_lag_s; }),
  choice("topology", "read_your_writes", "--read-your-writes", kReadYourWritesScopes,
         [](Config& c) -> std::string& { return c.topology.read_your_writes; }),
  integer("topology", "offset_poll_ms", "", 1, 1000, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.topology.offset_poll_ms; }),
  integer("topology", "sentinel_refresh_ms", "", 100, 600'000, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.topology.sentinel_refresh_ms; }),
  integer("topology", "sentinel_tls", "", 0, 1, "1 = TLS to the sentinels when backend.tls is on",
          [](Config& c) -> std::uint32_t& { return c.topology.sentinel_tls; }),
  // [cluster]: a Redis Cluster behind Funnel (docs/cluster.md); its rules are in
  // topology_rules.cpp.
  address_list("cluster", "seeds", "--cluster", [](Config& c) -> std::vector<HostPort>& {
    return c.cluster.seeds; }),
  KeySpec{.table = "cluster", .name = "announce", .kind = KeyKind::kAddress,
          .flag = "--cluster-announce",
          .optional_address = [](Config& c) -> std::optional<HostPort>& {
            return c.cluster.announce; }},
  integer("cluster", "refresh_ms", "", 100, 600'000, "milliseconds",
          [](Config& c) -> std::uint32_t& { return c.cluster.refresh_ms; }),
  // [shield]: the launch-spike shield (issue #18, docs/spike-shield.md).
  integer("shield", "coalesce", "--coalesce", 0, 1,
          "1 answers identical reads not yet sent with one backend request",
          [](Config& c) -> std::uint32_t& { return c.shield.coalesce; }),
  text("shield", "coalesce_commands", "", [](Config& c) -> std::string& {
    return c.shield.coalesce_commands; }),
  integer("shield", "coalesce_unsafe_for_tests", "", 0, 1,
          "1 breaks the coalescing rule on purpose (tests only)",
          [](Config& c) -> std::uint32_t& { return c.shield.coalesce_unsafe_for_tests; }),
  integer("shield", "hotkeys_sample_every", "", 0, 1'000'000,
          "requests per hot-key sample; 0 turns FUNNEL HOTKEYS off",
          [](Config& c) -> std::uint32_t& { return c.shield.hotkeys_sample_every; }),
  integer("shield", "hotkeys_window_s", "", 1, 3600, "seconds",
          [](Config& c) -> std::uint32_t& { return c.shield.hotkeys_window_s; }),
  integer("shield", "near_cache", "", 0, 1,
          "1 caches reads of keys under near_cache_prefixes, kept exact by Redis's invalidations",
          [](Config& c) -> std::uint32_t& { return c.shield.near_cache; }),
  text("shield", "near_cache_prefixes", "--near-cache", [](Config& c) -> std::string& {
    return c.shield.near_cache_prefixes; }),
  text("shield", "near_cache_commands", "", [](Config& c) -> std::string& {
    return c.shield.near_cache_commands; }),
  size("shield", "near_cache_max_bytes", kKb, kTb, "bytes of cached replies per worker",
       [](Config& c) -> std::uint64_t& { return c.shield.near_cache_max_bytes; }),
  integer("shield", "near_cache_max_entries", "", 1, 100'000'000, "cached replies per worker",
          [](Config& c) -> std::uint32_t& { return c.shield.near_cache_max_entries; }),
  size("shield", "near_cache_max_value_bytes", 1, 4 * kGb, "bytes in one cached reply",
       [](Config& c) -> std::uint64_t& { return c.shield.near_cache_max_value_bytes; }),
  integer("shield", "near_cache_unsafe_for_tests", "", 0, 1,
          "1 breaks the near cache's fill rule on purpose (tests only)",
          [](Config& c) -> std::uint32_t& { return c.shield.near_cache_unsafe_for_tests; }),
};
// clang-format on

std::string range_text(const KeySpec& spec) {
  auto bound = [&](std::uint64_t v) {
    return spec.kind == KeyKind::kSize ? format_size(v) : std::to_string(v);
  };
  return "between " + bound(spec.min) + " and " + bound(spec.max) + " (" + std::string(spec.unit) +
         ")";
}

void store_number(const KeySpec& spec, Config& config, std::uint64_t value,
                  const std::string& shown) {
  if (value < spec.min || value > spec.max) {
    throw ConfigError(shown + ": must be " + range_text(spec));
  }
  if (spec.kind == KeyKind::kSize) {
    spec.u64(config) = value;
  } else {
    spec.u32(config) = static_cast<std::uint32_t>(value);
  }
}

// Flags carry numbers as text; accept plain decimal digits only (no sign, no unit).
std::optional<std::uint64_t> parse_decimal(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

void store_log_level(const KeySpec& spec, Config& config, const std::string& text,
                     const std::string& what) {
  std::string level = lower(text);
  if (std::find(std::begin(kLogLevels), std::end(kLogLevels), level) == std::end(kLogLevels)) {
    throw ConfigError(show_text(what, text) +
                      ": unknown log level: use one of trace, debug, info, warn, error, off");
  }
  spec.text(config) = level;
}

std::string join_choices(const KeySpec& spec, std::string_view separator) {
  std::string out;
  for (std::string_view word : spec.choices) {
    if (!out.empty()) out += separator;
    out += word;
  }
  return out;
}

void store_choice(const KeySpec& spec, Config& config, const std::string& text,
                  const std::string& what) {
  std::string word = lower(text);
  if (std::find(spec.choices.begin(), spec.choices.end(), word) == spec.choices.end()) {
    std::string hint = closest(word, spec.choices);
    throw ConfigError(show_text(what, text) + ": use one of " + join_choices(spec, ", ") +
                      (hint.empty() ? std::string() : " (did you mean " + hint + "?)"));
  }
  spec.text(config) = word;
}

}  // namespace

std::string KeySpec::key() const {
  return std::string(table) + "." + std::string(name);
}

std::span<const KeySpec> all_keys() {
  return kKeys;
}
std::span<const std::string_view> all_tables() {
  return kTables;
}

const KeySpec* find_key(std::string_view table, std::string_view name) {
  for (const KeySpec& spec : kKeys) {
    if (spec.table == table && spec.name == name) return &spec;
  }
  return nullptr;
}

void apply_integer(const KeySpec& spec, Config& config, std::int64_t value,
                   const std::string& what) {
  std::string shown = show(what, std::to_string(value));
  if (spec.kind != KeyKind::kInteger && spec.kind != KeyKind::kSize) {
    throw ConfigError(shown + ": expected " + expected_type(spec) + ", got an integer");
  }
  if (value < 0) throw ConfigError(shown + ": must be " + range_text(spec));
  store_number(spec, config, static_cast<std::uint64_t>(value), shown);
}

void apply_text(const KeySpec& spec, Config& config, const std::string& text,
                const std::string& what) {
  switch (spec.kind) {
    case KeyKind::kInteger: {
      if (!is_flag(what)) {
        throw ConfigError(show_text(what, text) + ": expected " + expected_type(spec) +
                          ", got a string (write the number without quotes)");
      }
      auto value = parse_decimal(text);
      if (!value) {
        throw ConfigError(show_text(what, text) + ": must be a whole number " + range_text(spec));
      }
      return store_number(spec, config, *value, show_text(what, text));
    }
    case KeyKind::kSize:
      return store_number(spec, config, parse_size(text, what), show_text(what, text));
    case KeyKind::kAddress:
      if (spec.optional_address) {
        auto& field = spec.optional_address(config);
        field.reset();
        // The admin endpoint given as a bare port binds loopback: exposing it is a choice.
        if (spec.table == "admin" && parse_decimal(text)) {
          field = parse_host_port("127.0.0.1:" + text, what);
        } else if (!text.empty()) {
          field = parse_host_port(text, what);
        }
      } else {
        spec.address(config) = parse_host_port(text, what);
      }
      return;
    case KeyKind::kText:
      if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20; })) {
        throw ConfigError(show_text(what, text) + ": contains a control character");
      }
      spec.text(config) = text;
      return;
    case KeyKind::kLogLevel:
      return store_log_level(spec, config, text, what);
    case KeyKind::kChoice:
      return store_choice(spec, config, text, what);
    case KeyKind::kAddressList:
      if (is_flag(what)) return apply_list(spec, config, std::span(&text, 1), what);
      throw ConfigError(show_text(what, text) + ": expected " + expected_type(spec) +
                        ", got a string");
  }
}

void apply_list(const KeySpec& spec, Config& config, std::span<const std::string> items,
                const std::string& what) {
  std::vector<HostPort>& field = spec.address_list(config);
  field.clear();
  // A lone empty flag value clears the list the file gave, as --admin "" turns the admin off.
  if (is_flag(what) && items.size() == 1 && items.front().empty()) return;
  for (const std::string& item : items) field.push_back(parse_host_port(item, what));
}

// Re-storing the value is harmless; it reuses the one place that knows the range message.
void check_range(const KeySpec& spec, Config& config) {
  if (spec.kind == KeyKind::kChoice) {
    return store_choice(spec, config, std::string(spec.text(config)), spec.key());
  }
  if (spec.kind == KeyKind::kInteger) {
    std::uint32_t value = spec.u32(config);
    store_number(spec, config, value, show(spec.key(), std::to_string(value)));
  } else if (spec.kind == KeyKind::kSize) {
    std::uint64_t value = spec.u64(config);
    store_number(spec, config, value, show(spec.key(), std::to_string(value)));
  }
}

std::string expected_type(const KeySpec& spec) {
  switch (spec.kind) {
    case KeyKind::kInteger:
      return "an integer " + range_text(spec);
    case KeyKind::kSize:
      return "a size: an integer number of bytes or a string such as \"64mb\"";
    case KeyKind::kAddress:
      return spec.optional_address ? "a string \"host:port\" (\"\" for none)"
                                   : "a string \"host:port\"";
    case KeyKind::kText:
      return "a string";
    case KeyKind::kLogLevel:
      return "a string, one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", \"off\"";
    case KeyKind::kAddressList:
      return "an array of \"host:port\" strings, e.g. [\"10.0.0.6:6379\", \"10.0.0.7:6379\"]";
    case KeyKind::kChoice:
      return "a string, one of \"" + join_choices(spec, "\", \"") + "\"";
  }
  return "";
}

std::string current_value(const KeySpec& spec, Config& config) {
  switch (spec.kind) {
    case KeyKind::kInteger:
      return std::to_string(spec.u32(config));
    case KeyKind::kSize: {
      std::string text = format_size(spec.u64(config));
      return text.back() == 'b' ? quote(text) : text;
    }
    case KeyKind::kAddress:
      if (spec.address) return quote(spec.address(config).to_string());
      return quote(spec.optional_address(config) ? spec.optional_address(config)->to_string() : "");
    case KeyKind::kText:
    case KeyKind::kLogLevel:
    case KeyKind::kChoice:
      return quote(spec.text(config));
    case KeyKind::kAddressList: {
      std::string out;
      for (const HostPort& address : spec.address_list(config)) {
        out += (out.empty() ? "" : ", ") + quote(address.to_string());
      }
      return "[" + out + "]";
    }
  }
  return "";
}

}  // namespace funnel::config
