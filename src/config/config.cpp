// The last step of loading: host:port parsing, secrets read from files or the environment, rules
// that span several keys, and defaults that depend on the machine. Runs once, at start.
#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/usable_cpus.hpp"
#include "config/file_reader.hpp"
#include "config/key_table.hpp"
#include "config/node_list.hpp"
#include "config/serverless.hpp"
#include "config/topology_rules.hpp"
#include "config/value_text.hpp"
#include "routing/coalesce_rule.hpp"
#include "routing/near_cache_rule.hpp"

namespace funnel::config {
namespace {

constexpr std::string_view kHostPortExample = "write HOST:PORT, e.g. 127.0.0.1:6379 or [::1]:6379";
constexpr std::size_t kMaxSecretBytes = std::size_t{64} << 10;
constexpr unsigned kMaxWorkers = 256;

bool host_char_ok(unsigned char c, bool bracketed) {
  bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_';
  return plain || (bracketed && (c == ':' || c == '%'));
}

std::uint16_t parse_port(std::string_view text, const std::string& shown) {
  if (text.empty()) throw ConfigError(shown + ": missing port: " + std::string(kHostPortExample));
  unsigned value = 0;
  bool digits_only = text.size() <= 5 && std::all_of(text.begin(), text.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
  if (digits_only) {
    for (char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (!digits_only || value < 1 || value > 65535) {
    throw ConfigError(shown + ": the port must be a number between 1 and 65535");
  }
  return static_cast<std::uint16_t>(value);
}

// Splits "[v6]:port" into the address inside the brackets and what follows ']'.
std::pair<std::string, std::string_view> split_bracketed(std::string_view text,
                                                         const std::string& shown) {
  std::size_t close = text.find(']');
  if (close == std::string_view::npos) {
    throw ConfigError(shown + ": missing ']' after the IPv6 address: write e.g. [::1]:6379");
  }
  std::string_view after = text.substr(close + 1);
  if (after.empty()) throw ConfigError(shown + ": missing port: " + std::string(kHostPortExample));
  if (after.front() != ':') throw ConfigError(shown + ": expected ':' and a port after ']'");
  return {std::string(text.substr(1, close - 1)), after.substr(1)};
}

std::pair<std::string, std::string_view> split_plain(std::string_view text,
                                                     const std::string& shown) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    throw ConfigError(shown + ": missing port: " + std::string(kHostPortExample));
  }
  if (text.find(':') != colon) {
    throw ConfigError(shown + ": an IPv6 address needs brackets: write [" +
                      std::string(text.substr(0, colon)) +
                      "]:" + std::string(text.substr(colon + 1)));
  }
  return {std::string(text.substr(0, colon)), text.substr(colon + 1)};
}

std::string read_secret(const std::string& path, const std::string& key) {
  const std::string subject = show_text(key, path);
  std::string secret = read_small_file(path, kMaxSecretBytes, subject);
  // Files written by `echo` or an editor end in a newline that is not part of the password.
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    throw ConfigError(subject +
                      ": the file is empty: put the password in it (a trailing newline "
                      "is ignored)");
  }
  return secret;
}

// A file wins over the environment: it is the more explicit, per-deployment choice.
void resolve_secret(std::optional<std::string>& secret, const std::string& path,
                    const std::string& key, const char* env_name) {
  if (!path.empty()) {
    secret = read_secret(path, key);
    return;
  }
  const char* env = std::getenv(env_name);
  if (env == nullptr) return;
  if (*env == '\0') {
    throw ConfigError(std::string(env_name) +
                      " is set but empty: unset it, or set it to the password");
  }
  secret = std::string(env);
}

void resolve_machine_defaults(Config& config) {
  if (config.server.workers == 0) {
    const common::CpuBudget budget = common::read_cpu_budget();
    config.server.workers = std::clamp(budget.usable(), 1u, kMaxWorkers);
    config.server.workers_reason = "one per usable CPU: " + budget.describe();
  } else if (config.server.workers_reason.empty()) {
    config.server.workers_reason = "as configured";
  }
  if (config.backend.connections_per_node == 0) {
    config.backend.connections_per_node = config.server.workers;
  }
}

void require(bool ok, const std::string& message) {
  if (!ok) throw ConfigError(message);
}

std::string show_size(const char* key, std::uint64_t bytes) {
  std::string text = format_size(bytes);
  return show(key, text.back() == 'b' ? quote(text) : text);
}

void check_backend_rules(const Config& config) {
  const BackendConfig& b = config.backend;
  require(b.link_stall_timeout_ms >= b.request_timeout_ms,
          show("backend.link_stall_timeout_ms", std::to_string(b.link_stall_timeout_ms)) +
              " is below " +
              show("backend.request_timeout_ms", std::to_string(b.request_timeout_ms)) +
              ": a link must be allowed to wait at least as long as one request; raise "
              "link_stall_timeout_ms or lower request_timeout_ms");
  require(b.reconnect_backoff_min_ms <= b.reconnect_backoff_max_ms,
          show("backend.reconnect_backoff_min_ms", std::to_string(b.reconnect_backoff_min_ms)) +
              " is above " +
              show("backend.reconnect_backoff_max_ms", std::to_string(b.reconnect_backoff_max_ms)) +
              ": the minimum backoff must not exceed the maximum");
  require(b.user.empty() || b.password.has_value() || b.iam(),
          show_text("backend.user", b.user) +
              " is set but there is no backend password: set backend.password_file "
              "(--backend-password-file) or FUNNEL_BACKEND_PASSWORD");
  require(!b.address || *b.address != config.server.listen,
          show_text("backend.address", b.address ? b.address->to_string() : "") +
              " is Funnel's own server.listen address: Funnel would proxy to itself; give the "
              "Redis primary's address");
}

// IAM replaces the password: the token is the password, made and renewed by Funnel.
void check_iam_rules(const BackendConfig& b) {
  if (!b.iam()) {
    require(b.iam_cache_id.empty() && b.iam_region.empty(),
            show_text("backend.iam_cache_id", b.iam_cache_id) + " or " +
                show_text("backend.iam_region", b.iam_region) +
                " is set but backend.iam_user is empty: set iam_user (--backend-iam-user) to "
                "use IAM authentication, or remove them");
    return;
  }
  require(!b.iam_cache_id.empty() && !b.iam_region.empty(),
          show_text("backend.iam_user", b.iam_user) +
              " needs backend.iam_cache_id (--backend-iam-cache: the replication group, "
              "serverless cache or MemoryDB cluster name) and backend.iam_region "
              "(--backend-iam-region)");
  require(!b.password.has_value(),
          show_text("backend.iam_user", b.iam_user) +
              " is set together with a backend password (backend.password_file or "
              "FUNNEL_BACKEND_PASSWORD): IAM tokens replace the password; remove one");
  require(b.user.empty() || b.user == b.iam_user,
          show_text("backend.user", b.user) + " differs from " +
              show_text("backend.iam_user", b.iam_user) +
              ": links log in as the IAM user; leave backend.user empty");
}

void check_limit_rules(const Config& config) {
  const LimitsConfig& l = config.limits;
  require(l.client_output_soft_bytes <= l.client_output_hard_bytes,
          show_size("limits.client_output_soft_bytes", l.client_output_soft_bytes) + " is above " +
              show_size("limits.client_output_hard_bytes", l.client_output_hard_bytes) +
              ": the soft limit (stop reading the client) must not exceed the hard limit (close "
              "the client)");
  require(l.buffer_budget_bytes >= l.max_request_bytes,
          show_size("limits.buffer_budget_bytes", l.buffer_budget_bytes) + " is below " +
              show_size("limits.max_request_bytes", l.max_request_bytes) +
              ": the process-wide budget must hold at least one largest request; raise "
              "buffer_budget_bytes or lower max_request_bytes");
  require(!config.admin.listen || *config.admin.listen != config.server.listen,
          show_text("admin.listen", config.admin.listen ? config.admin.listen->to_string() : "") +
              " is the same as server.listen: give the admin HTTP endpoint its own port");
}

// shield.coalesce_commands: every name must be a coalescible read (routing/coalesce_rule.hpp).
void check_shield_rules(const ShieldConfig& s) {
  std::vector<std::string> refused;
  routing::split_coalesce_commands(s.coalesce_commands, refused);
  if (refused.empty()) return;
  std::string names;
  for (const std::string& name : refused) names += (names.empty() ? "" : ", ") + name;
  throw ConfigError(show_text("shield.coalesce_commands", s.coalesce_commands) + ": " + names +
                    " cannot be coalesced (unknown, not read-only, or a reply that is not a "
                    "function of the data alone); list read commands such as get, hget, mget");
}

// The near cache: prefixes that Redis accepts for BCAST tracking, cacheable commands, and no
// cluster mode (one tracking link follows one primary).
void check_near_cache_rules(const Config& config) {
  const ShieldConfig& s = config.shield;
  if (s.near_cache == 0) return;
  std::string error;
  routing::split_prefixes(s.near_cache_prefixes, error);
  if (!error.empty()) {
    throw ConfigError(show_text("shield.near_cache_prefixes", s.near_cache_prefixes) + ": " +
                      error + "; give each prefix with --near-cache PREFIX, e.g. \"config:\"");
  }
  std::vector<std::string> refused;
  routing::split_near_cache_commands(s.near_cache_commands, refused);
  if (!refused.empty()) {
    std::string names;
    for (const std::string& name : refused) names += (names.empty() ? "" : ", ") + name;
    throw ConfigError(show_text("shield.near_cache_commands", s.near_cache_commands) + ": " +
                      names +
                      " cannot be cached (unknown, not read-only, a reply that is not a function "
                      "of the data alone, or not keyed by its first argument); list get, hget ...");
  }
  if (config.cluster.enabled()) {
    throw ConfigError(
        "shield.near_cache = 1 with cluster.seeds: the near cache is not available in cluster "
        "mode yet; turn one of them off");
  }
}

bool is_hex_digest(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(),
                                          [](unsigned char c) { return std::isxdigit(c) != 0; });
}

void resolve_user(UserConfig& user, const std::string& where) {
  require(!user.name.empty() && std::none_of(user.name.begin(), user.name.end(),
                                             [](unsigned char c) { return c <= ' '; }),
          where + ".name = " + quote(user.name) +
              ": give each user a name without spaces or control characters");
  const int given =
      !user.password_sha256.empty() + !user.password_file.empty() + !user.password_env.empty();
  require(given <= 1, where + " (" + user.name +
                          "): give only one of password_sha256, password_file, password_env");
  require(user.password_sha256.empty() || is_hex_digest(user.password_sha256),
          where + ".password_sha256 (" + user.name +
              "): must be 64 hex digits, the SHA-256 of the password (e.g. the output of "
              "`printf %s PASSWORD | sha256sum`)");
  if (!user.password_file.empty()) {
    user.password = read_secret(user.password_file, where + ".password_file");
  } else if (!user.password_env.empty()) {
    const char* env = std::getenv(user.password_env.c_str());
    require(env != nullptr && *env != '\0', where + ".password_env = " + quote(user.password_env) +
                                                " (" + user.name +
                                                "): the environment variable is not set or empty");
    user.password = std::string(env);
  }
}

void resolve_users(Config& config) {
  for (std::size_t i = 0; i < config.auth.users.size(); ++i) {
    UserConfig& user = config.auth.users[i];
    const std::string where = "users[" + std::to_string(i) + "]";
    resolve_user(user, where);
    for (std::size_t j = 0; j < i; ++j) {
      require(config.auth.users[j].name != user.name,
              where + ".name = " + quote(user.name) + ": the user is defined twice");
    }
    require(!(user.name == "default" && config.auth.requirepass),
            where +
                ".name = \"default\": the default user's password is set twice (also by "
                "auth.requirepass_file / FUNNEL_REQUIREPASS); keep one");
  }
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void resolve_admin_token(Config& config) {
  resolve_secret(config.admin.token, config.admin.token_file, "admin.token_file",
                 "FUNNEL_ADMIN_TOKEN");
  if (!config.admin.listen || is_loopback_host(config.admin.listen->host)) return;
  require(config.admin.token.has_value(),
          show_text("admin.listen", config.admin.listen->to_string()) +
              " is not a loopback address, so the admin endpoint needs a bearer token: set "
              "admin.token_file (--admin-token-file) or FUNNEL_ADMIN_TOKEN, or bind 127.0.0.1");
}

void check_backend_tls_rules(const BackendConfig& b) {
  const bool extras = !b.tls_ca_file.empty() || !b.tls_server_name.empty() ||
                      !b.tls_cert_file.empty() || !b.tls_key_file.empty();
  require(b.tls == 1 || !extras,
          "backend.tls_ca_file, tls_server_name, tls_cert_file and tls_key_file need "
          "backend.tls = 1 (--backend-tls)");
  require(b.tls_cert_file.empty() == b.tls_key_file.empty(),
          "backend.tls_cert_file (--backend-tls-cert) and backend.tls_key_file "
          "(--backend-tls-key) go together: give both, or neither");
}

void check_tls_rules(const Config& config) {
  check_backend_tls_rules(config.backend);
  const TlsConfig& tls = config.tls;
  require(tls.cert_file.empty() == tls.key_file.empty(),
          "tls.cert_file (--tls-cert) and tls.key_file (--tls-key) go together: give both, or "
          "neither");
  require(tls.enabled() || (tls.client_ca_file.empty() && !tls.listen),
          "tls.client_ca_file and tls.listen need a certificate: set tls.cert_file (--tls-cert) "
          "and tls.key_file (--tls-key)");
  require(!tls.listen || *tls.listen != config.server.listen,
          show_text("tls.listen", tls.listen ? tls.listen->to_string() : "") +
              " is the same as server.listen: without tls.listen the server.listen port speaks "
              "TLS; with it, give the TLS listener its own port");
}

}  // namespace

std::string HostPort::to_string() const {
  std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

HostPort parse_host_port(const std::string& text, const std::string& what) {
  const std::string shown = show_text(what, text);
  if (text.empty()) throw ConfigError(shown + ": empty: " + std::string(kHostPortExample));
  if (text.find("://") != std::string::npos) {
    throw ConfigError(shown + ": a URL is not accepted here: " + std::string(kHostPortExample));
  }
  bool bracketed = text.front() == '[';
  auto [host, port_text] = bracketed ? split_bracketed(text, shown) : split_plain(text, shown);
  if (host.empty()) {
    throw ConfigError(shown + ": empty host: " + std::string(kHostPortExample) +
                      " (0.0.0.0 means every IPv4 interface)");
  }
  if (!std::all_of(host.begin(), host.end(),
                   [&](unsigned char c) { return host_char_ok(c, bracketed); })) {
    throw ConfigError(shown + ": the host " + quote(host) +
                      " has a character not allowed in a host name or IP address");
  }
  return HostPort{std::move(host), parse_port(port_text, shown)};
}

std::optional<std::string> read_secret_source(const std::string& path, const std::string& key,
                                              const char* env_name) {
  std::optional<std::string> secret;
  resolve_secret(secret, path, key, env_name);
  return secret;
}

void finalize(Config& config) {
  for (const KeySpec& spec : all_keys()) check_range(spec, config);
  resolve_serverless(config);  // may make backend.address the cluster seed
  check_topology(config);      // a source of nodes: backend.address, discovery or Sentinel
  check_node_list(config);     // [[topology.nodes]], server.zone
  resolve_machine_defaults(config);
  resolve_secret(config.backend.password, config.backend.password_file, "backend.password_file",
                 "FUNNEL_BACKEND_PASSWORD");
  resolve_secret(config.auth.requirepass, config.auth.requirepass_file, "auth.requirepass_file",
                 "FUNNEL_REQUIREPASS");
  resolve_users(config);
  resolve_admin_token(config);
  check_tls_rules(config);
  check_backend_rules(config);
  check_iam_rules(config.backend);
  check_limit_rules(config);
  check_shield_rules(config.shield);
  check_near_cache_rules(config);
}

}  // namespace funnel::config
