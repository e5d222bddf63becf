// The [topology] rules of finalize(): which source of nodes was given (docs/topology.md), and
// the checks that catch a mistyped or contradictory topology at start rather than at the first
// failover.
#include "config/topology_rules.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "config/value_text.hpp"

namespace funnel::config {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw ConfigError(message);
}

bool sentinel_source(const TopologyConfig& t) {
  return !t.sentinels.empty() || !t.sentinel_master.empty();
}

// Two sources would disagree about who the primary is; refusing is clearer than a precedence
// rule the user has to remember.
void check_one_source(const Config& config) {
  const TopologyConfig& t = config.topology;
  const bool backend = config.backend.address.has_value();
  require(t.replicas.empty() || backend || t.discover || sentinel_source(t),
          "topology.replicas (--replica) is set but there is no primary: give backend.address "
          "(--backend HOST:PORT), or use --discover HOST:PORT to learn the primary");
  if (config.cluster.enabled()) {
    require(!backend && !t.discover && !sentinel_source(t) && t.replicas.empty(),
            "cluster.seeds (--cluster) is set together with backend.address (--backend), "
            "topology.discover (--discover), topology.sentinels (--sentinel) or "
            "topology.replicas (--replica): a Redis Cluster lists its own primaries and "
            "replicas; give only its seeds");
    return;
  }
  require(
      backend || t.discover || sentinel_source(t),
      "no backend given: pass --backend HOST:PORT (the Redis primary; add --replica "
      "HOST:PORT for each replica), --discover HOST:PORT (any node: Funnel finds the primary "
      "and its replicas) or --sentinel HOST:PORT --sentinel-master NAME, or set "
      "backend.address, topology.discover or topology.sentinels in the config file (for a Redis "
      "Cluster: --cluster HOST:PORT); to try "
      "Funnel with a local redis-server, run scripts/run.sh");
  require(!(t.discover && backend),
          "topology.discover (--discover) and backend.address (--backend) are both set: give one "
          "source. --discover learns the primary from any node; --backend names the primary "
          "(with --replica for its replicas)");
  require(!(t.discover && !t.replicas.empty()),
          "topology.discover (--discover) and topology.replicas (--replica) are both set: "
          "discovery finds the replicas itself; drop the replicas, or replace --discover with "
          "--backend PRIMARY");
  require(!(sentinel_source(t) && (backend || t.discover || !t.replicas.empty())),
          "Sentinel (topology.sentinels / --sentinel) is set together with backend.address "
          "(--backend), topology.discover (--discover) or topology.replicas (--replica): with "
          "Sentinel, Funnel asks the sentinels for the primary and replicas; drop the others");
}

bool valid_master_name(const std::string& name) {
  return std::none_of(name.begin(), name.end(), [](unsigned char c) { return c <= ' '; });
}

void check_sentinel(Config& config) {
  TopologyConfig& t = config.topology;
  const bool sentinel = sentinel_source(t);
  require(!sentinel || !t.sentinels.empty(),
          show_text("topology.sentinel_master", t.sentinel_master) +
              " needs the sentinels to ask: add --sentinel HOST:PORT (once per sentinel) or set "
              "topology.sentinels");
  require(!sentinel || !t.sentinel_master.empty(),
          "topology.sentinels (--sentinel) needs the master name the sentinels monitor: pass "
          "--sentinel-master NAME or set topology.sentinel_master (the name in sentinel.conf's "
          "`sentinel monitor NAME ...` line)");
  require(valid_master_name(t.sentinel_master),
          show_text("topology.sentinel_master", t.sentinel_master) +
              ": a master name has no spaces or control characters");
  require(sentinel || (t.sentinel_user.empty() && t.sentinel_password_file.empty()),
          "topology.sentinel_user and topology.sentinel_password_file are for Sentinel: set "
          "topology.sentinels and topology.sentinel_master, or remove them");
  // The variable is read only when Sentinel is the source: a shell may export it for other tools.
  if (sentinel) {
    t.sentinel_password = read_secret_source(
        t.sentinel_password_file, "topology.sentinel_password_file", "FUNNEL_SENTINEL_PASSWORD");
  }
  require(t.sentinel_user.empty() || t.sentinel_password.has_value(),
          show_text("topology.sentinel_user", t.sentinel_user) +
              " is set but there is no Sentinel password: set topology.sentinel_password_file "
              "(--sentinel-password-file) or FUNNEL_SENTINEL_PASSWORD");
}

// No address twice in one list, none equal to Funnel's own listener (it would proxy to itself).
void check_list(const std::vector<HostPort>& list, const char* key, const char* flag,
                const Config& config) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string shown = show_text(key, list[i].to_string()) + " (" + flag + ")";
    require(list[i] != config.server.listen,
            shown + " is Funnel's own server.listen address: Funnel would proxy to itself");
    require(std::find(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(i), list[i]) ==
                list.begin() + static_cast<std::ptrdiff_t>(i),
            shown + " is listed twice: list each node once");
  }
}

void check_addresses(const Config& config) {
  const TopologyConfig& t = config.topology;
  check_list(t.replicas, "topology.replicas", "--replica", config);
  check_list(t.sentinels, "topology.sentinels", "--sentinel", config);
  for (const HostPort& replica : t.replicas) {
    require(replica != config.backend.address,
            show_text("topology.replicas", replica.to_string()) +
                " (--replica) is also backend.address (--backend), the primary: list only the "
                "replicas");
  }
  require(!t.discover || *t.discover != config.server.listen,
          show_text("topology.discover", t.discover ? t.discover->to_string() : "") +
              " (--discover) is Funnel's own server.listen address: Funnel would proxy to "
              "itself; give a Redis node or endpoint");
}

// With only backend.address there is one node, so `replica` would refuse every read.
void check_read_policy(const Config& config) {
  const TopologyConfig& t = config.topology;
  require(t.read_policy != "replica" || t.multi_node() || config.cluster.enabled(),
          "topology.read_policy = \"replica\" (--read-policy replica) needs replicas, but only "
          "backend.address is given: add --replica HOST:PORT, use --discover or --sentinel, or "
          "choose prefer-replica (which falls back to the primary)");
}

// The seeds: none twice, none Funnel itself. Until the cluster topology source lands (issue #16),
// the first seed is the one node links go to: right for a cluster whose every slot is on one
// endpoint (ElastiCache Serverless, the one-node cluster of the tests).
void check_cluster(Config& config) {
  ClusterConfig& c = config.cluster;
  check_list(c.seeds, "cluster.seeds", "--cluster", config);
  require(!c.announce || c.enabled(),
          "cluster.announce (--cluster-announce) is set but cluster.seeds (--cluster) is not: "
          "the announced address is for a Redis Cluster behind Funnel");
  if (c.enabled()) config.backend.address = c.seeds.front();
}

}  // namespace

void check_topology(Config& config) {
  check_one_source(config);
  check_cluster(config);
  check_sentinel(config);
  check_addresses(config);
  check_read_policy(config);
}

}  // namespace funnel::config
