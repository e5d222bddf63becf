// Funnel's configuration: a TOML file plus command-line flags (flags override the file), mapped
// into plain, validated, immutable structs at start. Nothing here is touched on the hot path;
// the rest of Funnel reads these structs and never sees TOML or CLI11.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace funnel::config {

// A configuration problem, with a message that names the key (or flag), the value and what to do,
// e.g. "backend.request_timeout_ms = 0: must be between 1 and 3600000 (milliseconds)".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HostPort {
  std::string host;  // a name or an IPv4/IPv6 literal (without brackets)
  std::uint16_t port = 0;
  std::string to_string() const;  // "host:port", "[v6]:port"
  bool operator==(const HostPort&) const = default;
};

// Parses "host:port", "[v6]:port"; throws ConfigError naming `what` (the key or flag).
HostPort parse_host_port(const std::string& text, const std::string& what);

struct ServerConfig {
  HostPort listen{"127.0.0.1", 6380};
  unsigned workers = 0;        // resolved: never 0 after load (0 in file = one per usable CPU)
  std::string workers_reason;  // how the count was chosen, for the startup log
  std::uint32_t max_clients = 10000;
  std::uint32_t idle_client_timeout_s = 300;  // 0 disables; default stays under AWS NLB's 350 s
  std::uint32_t tcp_keepalive_s = 60;         // 0 disables TCP keepalive on client sockets
  std::uint32_t drain_timeout_ms = 5000;      // SIGTERM: how long in-flight requests may finish
  // Funnel's own availability zone (topology.read_policy = prefer-local-zone): this key, else
  // the AWS_AVAILABILITY_ZONE environment variable (resolved by finalize); empty: unknown.
  std::string zone;
  // Hot restart (funnel --takeover, docs/deployment.md): the Unix socket a running Funnel hands
  // its listening sockets over on ("{port}" is server.listen's port; "" turns it off), and the
  // window over which the old one then closes its idle clients.
  std::string takeover_socket = "/run/funnel/takeover-{port}.sock";
  std::uint32_t takeover_drain_ms = 30000;
  // Accept smoothing (server/accept_pacer.hpp): new connections are taken from the listen
  // backlog at this rate (0: as fast as they come), after a burst of accept_burst, and none waits
  // there longer than accept_max_delay_ms.
  std::uint32_t accept_rate_per_s = 0;
  std::uint32_t accept_burst = 100;
  std::uint32_t accept_max_delay_ms = 2000;
};

struct BackendConfig {
  std::optional<HostPort> address;      // the primary; required to run
  unsigned connections_per_node = 0;    // resolved: never 0 after load (0 = one per worker)
  std::string user;                     // empty: AUTH with the password only
  std::optional<std::string> password;  // the secret itself, read from file or env
  std::string password_file;            // where it came from (for messages; never the secret)
  std::uint32_t connect_timeout_ms = 2000;
  std::uint32_t request_timeout_ms = 5000;  // a request unanswered this long gets an error
  // A link whose oldest request waits this long is closed (>= request_timeout_ms).
  std::uint32_t link_stall_timeout_ms = 10000;
  // While the primary fails over, requests for it wait in Funnel this long at most (bounded by
  // request_timeout_ms) for the new primary; 0 fails them at once (routing/failover_hold.hpp).
  std::uint32_t failover_hold_ms = 5000;
  // Requests written to one link and not yet answered, at most (0: no bound). Beyond it requests
  // wait inside Funnel, keeping their deadline, so the backend's query buffers stay small under a
  // spike (backend/pipeline.hpp, Pipeline::write_limit).
  std::uint32_t max_in_flight_per_link = 0;
  std::uint32_t reconnect_backoff_min_ms = 50;
  std::uint32_t reconnect_backoff_max_ms = 5000;
  std::uint32_t resolve_interval_s = 30;  // re-resolve the backend's hostname this often
  // Dedicated links for WATCH and blocking commands, process-wide, and how long a client waits
  // for one when all are leased.
  std::uint32_t max_pinned = 64;
  std::uint32_t pinned_borrow_timeout_ms = 2000;
  // SELECT n: databases the backend has (as its `databases` setting), and how many of those
  // other than 0 may have shared link pools at once.
  std::uint32_t databases = 16;
  std::uint32_t max_database_pools = 16;
  // TLS to the backend (ElastiCache in-transit encryption): docs/security.md#tls.
  std::uint32_t tls = 0;         // 1: every link speaks TLS
  std::string tls_ca_file;       // empty: the system CA store
  std::uint32_t tls_verify = 1;  // 0: no certificate or name check (testing only)
  std::string tls_server_name;   // SNI and name check; empty: the host of backend.address
  std::string tls_cert_file;     // client certificate, when the backend asks for one
  std::string tls_key_file;
  // IAM authentication (ElastiCache, MemoryDB; docs/aws.md): with iam_user set, links AUTH as
  // that user with a SigV4 token made from the AWS credential chain, renewed every
  // iam_token_refresh_s (tokens are valid for 15 minutes).
  std::string iam_user;
  std::string iam_cache_id;
  std::string iam_region;
  std::string iam_service = "elasticache";  // or "memorydb"
  std::uint32_t iam_serverless = 0;         // 1: ElastiCache Serverless (ResourceType)
  std::uint32_t iam_token_refresh_s = 600;
  // Open links log in again with a fresh token this long after their last login, before the
  // service ends IAM-authenticated connections at 12 hours (docs/aws.md).
  std::uint32_t iam_reauth_s = 39600;
  // ElastiCache Serverless (docs/aws.md#elasticache-serverless): "auto" (on when backend.address
  // or the only cluster seed is named *.serverless.*.cache.amazonaws.com), "on" or "off". On:
  // cluster mode with the endpoint as the seed, TLS on for such a name, database 0 only, and
  // the replica read policies read on serverless_read_port (0: the endpoint's port + 1).
  std::string serverless = "auto";
  std::uint32_t serverless_read_port = 0;
  bool serverless_on = false;  // the resolved mode (finalize)
  bool iam() const { return !iam_user.empty(); }
};

// One [[users]] entry: a named client user (docs/security.md). The password is given as a
// SHA-256 hex digest, or read from a file or an environment variable at start.
struct UserConfig {
  std::string name;
  std::string password_sha256;          // 64 hex digits, like Redis ACL "#<hash>"
  std::string password_file;            // or: a file holding the plain password
  std::string password_env;             // or: an environment variable holding it
  std::string rules;                    // Redis ACL subset: "~app:* +@read"
  std::optional<std::string> password;  // resolved from password_file / password_env
  // Fair admission (security/user_limits.hpp): this user's connections at once and commands per
  // second over the whole process; 0 = no limit.
  std::uint32_t max_connections = 0;
  std::uint32_t max_commands_per_s = 0;
  std::uint32_t max_pinned = 0;  // its clients holding a pinned backend link at once
};

struct AuthConfig {
  std::optional<std::string> requirepass;  // the secret; clients must AUTH when set
  std::string requirepass_file;
  std::vector<UserConfig> users;
  // Commands refused to every user unless the user's rules name them (+flushall); "@default"
  // stands for the built-in list (security/command_policy.cpp), "" denies nothing.
  std::string deny_commands = "@default";
  // Slowing down password guessing (docs/security.md#slowing-down-password-guessing): failures
  // per address answered at once; then each failure's -WRONGPASS is held for a delay doubling
  // from failure_delay_ms to failure_max_delay_ms, and a connection failing again is closed; past
  // max_held_per_address (or max_held_total) held at once, the connection is closed unanswered.
  std::uint32_t free_failures = 3;
  std::uint32_t failure_delay_ms = 100;
  std::uint32_t failure_max_delay_ms = 2000;
  std::uint32_t max_held_per_address = 16;
  std::uint32_t max_held_total = 1024;
  // 1: backend.user itself already lacks the denied commands, so scripts may run even where the
  // backend refuses ACL SETUSER (MemoryDB, ElastiCache RBAC). See docs/security.md#scripts.
  std::uint32_t backend_enforces_deny_list = 0;
  // The same per-user limits for the default user (clients that never AUTH as another user).
  std::uint32_t default_max_connections = 0;
  std::uint32_t default_max_commands_per_s = 0;
  std::uint32_t default_max_pinned = 0;
  // 1: a user not configured here is checked against the backend (AUTH on a control-side
  // connection, rules from ACL GETUSER), its verdict and rules kept backend_users_cache_ms.
  // See docs/security.md#users-kept-in-the-backend.
  std::uint32_t users_from_backend = 0;
  std::uint32_t backend_users_cache_ms = 5000;
};

struct LimitsConfig {
  std::uint64_t max_request_bytes = 64ull << 20;   // one request (query buffer cap per client)
  std::uint64_t buffer_budget_bytes = 2ull << 30;  // all client buffers of the process together
  std::uint64_t client_output_soft_bytes = 1ull << 20;    // stop reading a client above this
  std::uint64_t client_output_hard_bytes = 256ull << 20;  // close a client above this
  // Redis's client-output-buffer-limit pubsub defaults: a subscriber with this much unsent is
  // closed at once (hard), or after staying above the soft limit for soft_seconds.
  std::uint64_t pubsub_output_hard_bytes = 32ull << 20;
  std::uint64_t pubsub_output_soft_bytes = 8ull << 20;
  std::uint32_t pubsub_output_soft_seconds = 60;
  // In-flight requests per client before backpressure (Funnel stops reading the client).
  std::uint32_t max_pipeline_per_client = 1024;
  // One request from a client that has not authenticated yet (AUTH / HELLO need little).
  std::uint64_t max_unauthenticated_request_bytes = 4096;
  // FUNNEL SLOWLOG: requests whose time in Funnel (read to reply framed) reaches this many
  // microseconds are logged (0 logs every request), keeping the newest slowlog_max_len
  // (0 turns the log off: Redis's negative slowlog-log-slower-than).
  std::uint32_t slowlog_slower_than_us = 10'000;
  std::uint32_t slowlog_max_len = 128;
};

struct AdminConfig {
  std::optional<HostPort> listen;    // admin HTTP (metrics); off when unset
  std::uint32_t metrics = 1;         // 0: no per-request counters/histograms (benchmark baseline)
  std::string token_file;            // bearer token for the admin endpoint (or FUNNEL_ADMIN_TOKEN)
  std::optional<std::string> token;  // resolved secret; required on a non-loopback address
  // Bounds against slow and idle clients (docs/security.md#admin-endpoint): connections held at
  // once (more are closed at once), the time to send a request's header, the time for a whole
  // request and its response, the time a keep-alive connection may wait for its next request,
  // and the size of a request's header.
  std::uint32_t max_connections = 64;
  std::uint32_t header_timeout_ms = 5000;
  std::uint32_t request_timeout_ms = 10'000;
  std::uint32_t idle_timeout_ms = 30'000;
  std::uint64_t max_header_bytes = 8192;
};

// TLS towards clients (docs/security.md#tls). With cert and key and no `listen`, the
// server.listen port speaks TLS only; with `listen`, that address is a TLS listener next to
// the plain server.listen.
struct TlsConfig {
  std::string cert_file;       // PEM certificate chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // set: clients must present a certificate signed by this CA
  std::optional<HostPort> listen;
  bool enabled() const { return !cert_file.empty(); }
};

// One [[topology.nodes]] entry: what the configuration says about one node, matched by the
// address the node is known by (backend.address, topology.replicas, or as the source names it).
struct NodeConfig {
  HostPort address;
  std::string zone;  // its availability zone; empty: as the node reports it (HELLO / INFO)
  // Its own login (instead of backend.user / password / IAM) and TLS settings (instead of
  // backend.tls_server_name / tls_ca_file); empty: the backend's.
  std::string user;
  std::string password_file;
  std::optional<std::string> password;  // resolved from password_file by finalize
  std::string tls_server_name;
  std::string tls_ca_file;
};

// Where the nodes are and which of them serve reads (docs/topology.md). One source at a time:
// backend.address alone (one node, the default), backend.address plus `replicas` (static),
// `discover` (learn the primary and its replicas from ROLE), or `sentinels` + `sentinel_master`.
struct TopologyConfig {
  std::vector<HostPort> replicas;    // static source: replica hints (--replica, repeatable)
  std::optional<HostPort> discover;  // discovery seed (--discover): any node or endpoint
  std::vector<HostPort> sentinels;   // Sentinel source (--sentinel, repeatable)
  std::string sentinel_master;       // the master name Sentinel monitors (--sentinel-master)
  std::string sentinel_user;         // AUTH for the sentinels (empty: none, or default user)
  std::optional<std::string> sentinel_password;  // the secret, from sentinel_password_file / env
  std::string sentinel_password_file;
  std::string read_policy = "primary";               // primary | prefer-replica | replica | any
  std::uint32_t health_interval_ms = 1000;           // PING + ROLE + INFO per node
  std::uint64_t max_replica_lag_bytes = 1ull << 20;  // replication offset behind the primary
  std::uint32_t max_replica_lag_s = 10;              // master_last_io_seconds_ago; 0: no limit
  std::string read_your_writes = "off";              // off | client | process
  std::uint32_t offset_poll_ms = 5;                  // ROLE polling while read_your_writes is on
  std::uint32_t sentinel_refresh_ms = 1000;  // periodic re-query besides the +switch-master feed
  // 1: the sentinels speak TLS when the data nodes do (backend.tls, same CA and client
  // certificate); 0: plain TCP to the sentinels whatever the data nodes speak.
  std::uint32_t sentinel_tls = 1;
  std::vector<NodeConfig> nodes;  // [[topology.nodes]]: per-node settings (docs/topology.md)
  // The entry for `address`, or null.
  const NodeConfig* node(const HostPort& address) const;
  bool multi_node() const { return !replicas.empty() || discover || !sentinels.empty(); }
};

// [cluster]: the backend is a Redis Cluster (or a cluster-mode endpoint such as ElastiCache
// Serverless) reached through its seeds (issue #16, docs/cluster.md).
struct ClusterConfig {
  std::vector<HostPort> seeds;  // any nodes or a configuration endpoint (--cluster, repeatable)
  std::optional<HostPort> announce;  // the address CLUSTER SLOTS/SHARDS/NODES give for Funnel
  std::uint32_t refresh_ms = 5000;   // periodic slot map refresh besides the on-demand ones
  // Every shard's replica is this endpoint (ElastiCache Serverless's read-from-replica port),
  // whatever CLUSTER SHARDS/SLOTS lists. Set by backend.serverless, not a key of its own.
  std::optional<HostPort> read_endpoint;
  bool enabled() const { return !seeds.empty(); }
};

// [shield]: the launch-spike shield (issue #18, docs/spike-shield.md).
struct ShieldConfig {
  // 1: identical reads not yet written to the backend share one backend request (--coalesce).
  std::uint32_t coalesce = 0;
  // The coalescible commands (spaces or commas); each must be read-only with a reply that is a
  // function of the data (routing/coalesce_rule.hpp). Empty: the default list.
  std::string coalesce_commands;
  // 1 breaks the rule on purpose (a read may join one already sent): for the history checker's
  // own test only; never in production.
  std::uint32_t coalesce_unsafe_for_tests = 0;
  // FUNNEL HOTKEYS: one request in this many gives its key to the sampled top-K; 0: off.
  std::uint32_t hotkeys_sample_every = 64;
  std::uint32_t hotkeys_window_s = 10;  // counts cover between one and two windows
  // 1: reads of keys under near_cache_prefixes are answered from a cache kept exact by Redis's
  // invalidations (CLIENT TRACKING BCAST; routing/near_cache_guard.hpp). --near-cache PREFIX.
  std::uint32_t near_cache = 0;
  std::string near_cache_prefixes;  // spaces or commas; none may be a prefix of another
  std::string near_cache_commands;  // "": the default list (routing/near_cache_rule.hpp)
  std::uint64_t near_cache_max_bytes = 64ull << 20;  // per worker
  std::uint32_t near_cache_max_entries = 100000;     // per worker
  std::uint64_t near_cache_max_value_bytes = 64ull << 10;
  // 1 breaks the fill rule on purpose (a fill is stored even if its key changed while it was in
  // flight): for the history checker's own test only; never in production.
  std::uint32_t near_cache_unsafe_for_tests = 0;
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
};

struct Config {
  ServerConfig server;
  BackendConfig backend;
  AuthConfig auth;
  LimitsConfig limits;
  AdminConfig admin;
  TlsConfig tls;
  TopologyConfig topology;
  ClusterConfig cluster;
  LogConfig log;
  ShieldConfig shield;
  std::string source_file;  // the --config file, if any
};

// `funnel iam-token ...`: print an IAM auth token (docs/aws.md) and exit.
struct IamTokenOptions {
  std::string user;
  std::string cache_id;
  std::string region;
  std::string service = "elasticache";  // --memorydb: "memorydb"
  bool serverless = false;
  std::string at;  // ISO-8601 instant to sign for; empty: now
};

// What the command line asked for.
struct Invocation {
  enum class Action { kRun, kCheckConfig, kExit, kIamToken };
  Action action = Action::kRun;
  int exit_code = 0;  // for kExit: 0 for --help/--version, 2 for a usage error (already printed)
  Config config;
  IamTokenOptions iam_token;  // for kIamToken
  bool takeover = false;      // --takeover: take the listening sockets of the running Funnel
};

// Parses argv (CLI11), loads the TOML file named by --config or --check-config, applies flags on
// top, reads secret files / environment variables, validates, resolves defaults that depend on
// the machine (workers = usable CPUs). Throws ConfigError for every invalid input.
Invocation parse_invocation(int argc, const char* const* argv);

// Loads and validates a TOML document (for tests and --check-config). `origin` names it in errors.
Config load_toml(const std::string& toml_text, const std::string& origin);

// Validates cross-key rules and resolves machine-dependent defaults. Throws ConfigError.
// Also range-checks every key (for configs built in code), requires one source of nodes
// (backend.address with optional topology.replicas, topology.discover, or topology.sentinels with
// sentinel_master; docs/topology.md), and reads the secrets: backend.password from password_file,
// else FUNNEL_BACKEND_PASSWORD; topology.sentinel_password from sentinel_password_file, else
// FUNNEL_SENTINEL_PASSWORD (only when Sentinel is the source); auth.requirepass
// from requirepass_file, else FUNNEL_REQUIREPASS (a file wins; with neither, the field is left as
// it was); each [[users]] password from its password_file or password_env; admin.token from
// token_file, else FUNNEL_ADMIN_TOKEN (required when admin.listen is not a loopback address).
// Error messages never contain a secret.
void finalize(Config& config);

// Reads a secret again (SIGHUP): from `path` when it is not empty, else from the environment
// variable `env_name`; nullopt when neither is given. Throws ConfigError (naming `key` and the
// path, never the secret) for an unreadable or empty file or an empty variable.
std::optional<std::string> read_secret_source(const std::string& path, const std::string& key,
                                              const char* env_name);

}  // namespace funnel::config
