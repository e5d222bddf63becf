// One round of the topology monitor: ask the source, resolve names when due, check every node,
// decide the primary and the read set, publish. See topology_monitor.hpp for the contract.
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "topology/monitor_impl.hpp"
#include "topology/primary_choice.hpp"

namespace funnel::topology {
namespace {
using asio::redirect_error;
using asio::use_awaitable;
using Endpoint = boost::asio::ip::tcp::endpoint;

// A discovered or Sentinel-named node that is neither named again nor reachable for this many
// rounds in a row is dropped (a replaced ElastiCache replica, a removed replica).
constexpr unsigned kMaxMissedRounds = 3;

bool contains(const std::vector<std::uint32_t>& ids, std::uint32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The known node a replica's ROLE names as its primary, if any. An address we do not know (a
// relay, NAT, a port mapping, a name) says nothing: replicating through one is normal; a known
// node other than the primary (a replica still following a demoted primary) does.
const NodeEntry* followed_node(const routing::RoleReport& role, NodeRegistry& registry) {
  const config::HostPort announced{role.primary_host, role.primary_port};
  for (const auto& entry : registry.nodes()) {
    if (entry.status.address == announced) return &entry;
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(role.primary_host, ec);
  if (ec) return nullptr;
  std::vector<Endpoint> endpoints;
  endpoints.emplace_back(ip, role.primary_port);
  return registry.find(endpoints);
}

// Runs every task concurrently and returns when all have finished.
asio::awaitable<void> run_all(std::vector<asio::awaitable<void>> tasks) {
  auto executor = co_await asio::this_coro::executor;
  auto remaining = std::make_shared<std::size_t>(tasks.size());
  auto done = std::make_shared<asio::steady_timer>(executor);
  done->expires_at(asio::steady_timer::time_point::max());
  for (auto& task : tasks) {
    asio::co_spawn(executor, std::move(task), [remaining, done](std::exception_ptr) {
      if (--*remaining == 0) done->cancel();
    });
  }
  if (*remaining == 0) co_return;
  boost::system::error_code ec;
  co_await done->async_wait(redirect_error(use_awaitable, ec));
}
}  // namespace

SourceKind source_kind(const config::Config& config) {
  if (!config.topology.sentinels.empty()) return SourceKind::kSentinel;
  if (config.topology.discover) return SourceKind::kDiscover;
  if (!config.topology.replicas.empty()) return SourceKind::kStatic;
  return SourceKind::kSingle;
}

asio::awaitable<std::vector<Endpoint>> TopologyMonitor::Impl::resolve(
    const config::HostPort& address) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address.host, ec);
  if (!ec) co_return std::vector<Endpoint>{Endpoint(ip, address.port)};
  asio::ip::tcp::resolver resolver(io);
  auto results = co_await resolver.async_resolve(address.host, std::to_string(address.port),
                                                 redirect_error(use_awaitable, ec));
  std::vector<Endpoint> endpoints;
  if (ec) {
    spdlog::warn("topology: cannot resolve {}: {}", address.host, ec.message());
    co_return endpoints;
  }
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  co_return endpoints;
}

asio::awaitable<std::optional<std::uint32_t>> TopologyMonitor::Impl::add_node(
    const config::HostPort& address, bool configured, bool resolve_now) {
  if (!resolve_now) {
    for (const auto& entry : registry.nodes()) {
      if (entry.status.address == address && !entry.status.endpoints.empty()) {
        co_return entry.status.node_id;
      }
    }
  }
  const std::vector<Endpoint> endpoints = co_await resolve(address);
  auto id = registry.upsert(address, endpoints, configured);
  if (!id) spdlog::error("topology: node ids exhausted, {} is not monitored", address.to_string());
  co_return id;
}

asio::awaitable<std::vector<std::uint32_t>> TopologyMonitor::Impl::query_source(
    bool force_resolve) {
  std::vector<std::uint32_t> named;
  const auto resolve_every = std::chrono::seconds(config.backend.resolve_interval_s);
  const bool resolve_due = force_resolve || Clock::now() - last_resolve >= resolve_every;
  if (source == SourceKind::kSingle || source == SourceKind::kStatic) {
    // config::finalize requires backend.address; a Config built in code might not have it.
    if (config.backend.address)
      hint_id = co_await add_node(*config.backend.address, true, resolve_due);
    if (hint_id) named.push_back(*hint_id);
    for (const auto& replica : config.topology.replicas) {
      if (source != SourceKind::kStatic) break;
      if (auto id = co_await add_node(replica, true, resolve_due)) named.push_back(*id);
    }
    if (resolve_due) last_resolve = Clock::now();
  } else if (source == SourceKind::kDiscover) {
    // The seed is re-resolved every round; each address it answers is a node of its own.
    for (const Endpoint& endpoint : co_await resolve(*config.topology.discover)) {
      const config::HostPort address{endpoint.address().to_string(), endpoint.port()};
      std::vector<Endpoint> endpoints;
      endpoints.push_back(endpoint);
      if (auto id = registry.upsert(address, endpoints, false)) named.push_back(*id);
    }
  } else {
    sentinel_answer = co_await sentinels->query();
    named_id.reset();
    if (sentinel_answer.primary) {
      named_id = co_await add_node(*sentinel_answer.primary, false, resolve_due);
      if (named_id) named.push_back(*named_id);
    }
    for (const auto& replica : sentinel_answer.replicas.usable) {
      if (auto id = co_await add_node(replica, false, resolve_due)) named.push_back(*id);
    }
    for (const auto& replica : sentinel_answer.replicas.disconnected) {
      // Not a new node, but a known one keeps its place (see SentinelReplicas).
      const std::vector<Endpoint> endpoints = co_await resolve(replica);
      if (NodeEntry* known = endpoints.empty() ? nullptr : registry.find(endpoints)) {
        named.push_back(known->status.node_id);
      }
    }
    sentinel_listed = named;
    if (resolve_due) last_resolve = Clock::now();
  }
  co_return named;
}

asio::awaitable<void> TopologyMonitor::Impl::probe_one(std::uint32_t id) {
  const NodeEntry* entry = registry.find(id);
  if (entry == nullptr) co_return;
  backend::BackendSnapshot target;
  target.address = entry->status.address.to_string();
  target.endpoints = entry->status.endpoints;
  if (target.endpoints.empty()) {
    ProbeResult unresolved;
    unresolved.error = "cannot resolve " + entry->status.address.host;
    results[id] = std::move(unresolved);
    co_return;
  }
  HealthLink& health = links[id];
  if (!health.link) {
    health.link =
        std::make_unique<backend::ControlLink>(io, settings, "funnel:health:" + std::to_string(id));
  }
  if (health.endpoints != target.endpoints) {
    health.link->close();  // the name moved: check the node it names now
    health.endpoints = target.endpoints;
  }
  ProbeResult result = co_await probe_node(*health.link, target);
  if (!result.reachable) health.link->close();
  results[id] = std::move(result);
}

asio::awaitable<void> TopologyMonitor::Impl::probe(const std::vector<std::uint32_t>& ids) {
  std::vector<asio::awaitable<void>> tasks;
  for (std::uint32_t id : ids) tasks.push_back(probe_one(id));
  co_await run_all(std::move(tasks));
}

asio::awaitable<std::vector<std::uint32_t>> TopologyMonitor::Impl::discover_more(
    std::vector<std::uint32_t>& named) {
  std::vector<config::HostPort> announced;
  for (const auto& [id, result] : results) {
    if (!result.reachable || !result.role) continue;
    const routing::RoleReport& role = *result.role;
    if (role.role == routing::Role::kReplica) {
      announced.push_back({role.primary_host, role.primary_port});
    } else if (role.role == routing::Role::kPrimary) {
      named.push_back(id);
      for (const auto& replica : role.replicas) announced.push_back({replica.host, replica.port});
    }
  }
  std::vector<std::uint32_t> fresh;
  for (const auto& address : announced) {
    auto id = co_await add_node(address, false, false);
    if (!id) continue;
    named.push_back(*id);
    if (results.count(*id) == 0 && !contains(fresh, *id)) fresh.push_back(*id);
  }
  co_return fresh;
}

void TopologyMonitor::Impl::apply_results() {
  // During a client's PAUSE ALL (and a request timeout after it) Redis postpones the checks too:
  // a node that did not answer in time is paused, not down; its last status stands.
  const bool paused =
      settings.pause_gate->excuses_timeouts(common::coarse_now_ms(), settings.request_timeout_ms);
  for (auto& entry : registry.nodes()) {
    auto found = results.find(entry.status.node_id);
    if (found == results.end()) continue;
    const ProbeResult& result = found->second;
    if (paused && !result.reachable && result.error.find("timeout") != std::string::npos) continue;
    NodeStatus& status = entry.status;
    status.reachable = result.reachable;
    status.reason = result.reachable ? std::string() : result.error;
    if (result.role) {
      status.role = result.role->role;
      status.offset = result.role->offset;
    }
    status.last_io_seconds_ago = result.info.last_io_seconds_ago;
    if (!result.redis_version.empty()) status.redis_version = result.redis_version;
    const config::NodeConfig* configured = config.topology.node(status.address);
    if (configured != nullptr && !configured->zone.empty()) {
      status.zone = configured->zone;
    } else if (result.reachable) {
      status.zone = result.zone;
    }
  }
}

void TopologyMonitor::Impl::decide() {
  apply_results();
  std::vector<PrimaryCandidate> candidates;
  for (const auto& entry : registry.nodes()) {
    PrimaryCandidate candidate{entry.status.node_id, entry.status.reachable, entry.status.role, 0};
    auto found = results.find(entry.status.node_id);
    if (found != results.end() && found->second.role) {
      candidate.replicas = found->second.role->replicas.size();
    }
    candidates.push_back(candidate);
  }
  primary_error.clear();
  if (source == SourceKind::kSingle) {
    primary_id = hint_id;  // one node: always the primary
    if (!primary_id) primary_error = "backend.address has no node id";
  } else if (source == SourceKind::kSentinel && sentinel_answer.primary) {
    const PrimaryCandidate* named = nullptr;
    for (const auto& candidate : candidates) {
      if (named_id == candidate.node_id) named = &candidate;
    }
    SentinelPrimary verdict =
        confirm_sentinel_primary(named, sentinel_answer.primary->to_string(), "");
    primary_id = verdict.primary;
    primary_error = verdict.error;
  } else {
    // static, discover, and Sentinel while no sentinel answers: ROLE decides.
    primary_id = choose_primary(candidates, primary_id, hint_id);
    if (!primary_id) {
      primary_error =
          source == SourceKind::kSentinel ? sentinel_answer.error : "no node reports role master";
    }
  }
  const NodeEntry* primary = primary_id ? registry.find(*primary_id) : nullptr;
  if (primary != nullptr) {
    auto identity = std::make_pair(primary->status.node_id, primary->status.endpoints);
    if (last_primary_identity && *last_primary_identity != identity) {
      ++failovers;
      spdlog::warn("topology: primary is now {} (was node {}); failover {}",
                   primary->status.address.to_string(), last_primary_identity->first, failovers);
    }
    last_primary_identity = std::move(identity);
  }
  judge_replicas(primary != nullptr ? &primary->status : nullptr);
}

void TopologyMonitor::Impl::judge_replicas(const NodeStatus* primary) {
  const routing::LagLimits limits{static_cast<std::int64_t>(config.topology.max_replica_lag_bytes),
                                  static_cast<std::int64_t>(config.topology.max_replica_lag_s)};
  const std::int64_t primary_offset = primary != nullptr ? primary->offset : -1;
  // A replica follows the primary if it replicates the primary's history (same replication id,
  // whatever address it knows the primary by: NAT, relays); without ids to compare, unless it
  // names another node we know.
  std::string primary_replid;
  if (primary != nullptr) {
    if (auto it = results.find(primary->node_id); it != results.end()) {
      primary_replid = it->second.info.replid;
    }
  }
  const auto follows = [&](const ProbeResult& replica, const NodeStatus& primary_status) {
    if (!primary_replid.empty() && !replica.info.replid.empty()) {
      return replica.info.replid == primary_replid;
    }
    const NodeEntry* followed = followed_node(*replica.role, registry);
    return followed == nullptr || followed->status.node_id == primary_status.node_id;
  };
  for (auto& entry : registry.nodes()) {
    NodeStatus& status = entry.status;
    auto found = results.find(status.node_id);
    if (primary != nullptr && status.node_id == primary->node_id) {
      status.readable = false;  // the read set is replicas; policies add the primary themselves
      status.lag_bytes = 0;
      continue;
    }
    if (found == results.end()) continue;  // not checked this round: keep what we knew
    const ProbeResult& result = found->second;
    if (!result.reachable || !result.role) {
      status.readable = false;
      if (status.reason.empty()) status.reason = result.error;
      continue;
    }
    routing::ReplicaVerdict verdict =
        routing::judge_replica(*result.role, result.info, primary_offset, limits);
    if (verdict.readable && primary != nullptr && !follows(result, *primary)) {
      verdict.readable = false;
      verdict.reason = "replica of " + result.role->primary_host + ":" +
                       std::to_string(result.role->primary_port) + ", not of the primary";
    }
    if (verdict.readable && source == SourceKind::kSentinel && sentinel_answer.primary &&
        !contains(sentinel_listed, status.node_id)) {
      verdict.readable = false;  // Sentinel's own opinion counts too: s_down, o_down
      verdict.reason = "sentinel lists it as down, or not at all";
    }
    status.readable = verdict.readable;
    status.reason = verdict.reason;
    status.lag_bytes = verdict.lag_bytes;
  }
}

asio::awaitable<void> TopologyMonitor::Impl::round(bool force_resolve) {
  round_running = true;
  last_round_start = Clock::now();
  results.clear();
  std::vector<std::uint32_t> named = co_await query_source(force_resolve);
  if (!stopping && reported_once && source == SourceKind::kSentinel && named_id &&
      named_id != primary_id) {
    // Sentinel names a new primary: check that node alone and report it before the others.
    std::vector<std::uint32_t> first;
    first.push_back(*named_id);
    co_await probe(first);
    decide();
    publish(false);
  }
  std::vector<std::uint32_t> pending;
  // One node needs no health link of its own: it is the primary whatever it says, and Control's
  // link already checks it (the backend sees the same connections as before topology existed).
  for (const auto& entry : registry.nodes()) {
    if (source != SourceKind::kSingle && results.count(entry.status.node_id) == 0) {
      pending.push_back(entry.status.node_id);
    }
  }
  for (int pass = 0; pass < 3 && !pending.empty() && !stopping; ++pass) {
    co_await probe(pending);
    if (source != SourceKind::kDiscover) break;
    pending = co_await discover_more(named);
  }
  if (source == SourceKind::kDiscover || source == SourceKind::kSentinel) {
    for (std::uint32_t id : registry.age(named, kMaxMissedRounds)) {
      spdlog::info("topology: node {} dropped (gone from the source and not answering)", id);
      if (auto link = links.find(id); link != links.end()) link->second.link->close();
      links.erase(id);
      results.erase(id);
    }
  }
  if (!stopping) {
    decide();
    publish(false);
  }
  round_running = false;
}

}  // namespace funnel::topology
