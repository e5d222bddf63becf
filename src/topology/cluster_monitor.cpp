// ClusterMonitor: the slot map from CLUSTER SHARDS / CLUSTER SLOTS, refreshed on a timer and on
// demand. See cluster_monitor.hpp.
#include "topology/cluster_monitor.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backend/handshake.hpp"
#include "common/clock.hpp"

namespace funnel::topology {
namespace {
using asio::redirect_error;
using asio::use_awaitable;
using Endpoint = boost::asio::ip::tcp::endpoint;
constexpr auto kFastRefresh = routing::ShardHoldGate::kFastRefreshMs;

// Built outside the coroutines: GCC 12 miscompiles brace-initialised string-literal lists there.
const std::string& shards_request() {
  static const std::string request = backend::encode_command({"CLUSTER", "SHARDS"});
  return request;
}
const std::string& slots_request() {
  static const std::string request = backend::encode_command({"CLUSTER", "SLOTS"});
  return request;
}
}  // namespace

const ClusterNode* ClusterView::find(const routing::NodeAddress& address) const {
  for (const ClusterNode& node : nodes) {
    if (node.address == address) return &node;
  }
  return nullptr;
}

ClusterMonitor::ClusterMonitor(asio::io_context& io, const config::Config& config,
                               const backend::LinkSettings& settings, Listener on_view,
                               ErrorListener on_error)
    : io_(io),
      config_(config),
      settings_(settings),
      on_view_(std::move(on_view)),
      on_error_(std::move(on_error)),
      link_(io, settings_, "funnel:control:cluster"),
      wakeup_(io.get_executor()) {}

bool ClusterMonitor::shard_held() const {
  return settings_.shard_hold_gate && settings_.shard_hold_gate->any(common::coarse_now_ms());
}

// The map's primaries first (they know the newest map), then the seeds; while a shard's primary
// is down, its replicas before them all.
std::vector<config::HostPort> ClusterMonitor::candidates() const {
  std::vector<config::HostPort> out;
  if (shard_held()) {
    for (const routing::NodeAddress& node : known_replicas_) out.push_back({node.host, node.port});
  }
  for (const routing::NodeAddress& node : known_primaries_) out.push_back({node.host, node.port});
  for (const config::HostPort& seed : config_.cluster.seeds) {
    if (std::find(out.begin(), out.end(), seed) == out.end()) out.push_back(seed);
  }
  return out;
}

asio::awaitable<std::vector<Endpoint>> ClusterMonitor::resolve(const std::string& host,
                                                               std::uint16_t port,
                                                               std::string& error) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (!ec) co_return std::vector<Endpoint>{Endpoint(ip, port)};
  asio::ip::tcp::resolver resolver(io_);
  auto results = co_await resolver.async_resolve(host, std::to_string(port),
                                                 redirect_error(use_awaitable, ec));
  std::vector<Endpoint> endpoints;
  if (ec) {
    error = "cannot resolve " + host + ": " + ec.message();
    co_return endpoints;
  }
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  co_return endpoints;
}

// Asks one node for the map; true (and on_view_ called) if it gave a valid one.
asio::awaitable<bool> ClusterMonitor::ask(const config::HostPort& node) {
  const std::string peer = node.to_string();
  if (!link_.is_open() || link_peer_ != peer) {
    link_.close();
    backend::BackendSnapshot target;
    target.address = peer;
    target.host = node.host;
    target.endpoints = co_await resolve(node.host, node.port, target.resolve_error);
    if (target.endpoints.empty()) co_return false;
    const std::string error = co_await link_.open(target);
    if (!error.empty()) {
      spdlog::debug("cluster: {} unreachable: {}", peer, error);
      co_return false;
    }
    link_peer_ = peer;
  }
  std::string error;
  auto reply = co_await link_.call(shards_request(), error);
  const routing::NodeAddress answered_by{node.host, node.port, ""};
  ClusterView view;
  view.answered_by = peer;
  view.started_ms = started_ms_;
  view.demanded = demanded_;
  bool parsed = reply && view.map.assign_shards(*reply, answered_by, error);
  if (reply && !parsed && reply->is_error()) {  // Redis < 7: no CLUSTER SHARDS
    reply = co_await link_.call(slots_request(), error);
    parsed = reply && view.map.assign(*reply, answered_by, error);
  }
  if (!parsed || view.map.shards().empty()) {
    spdlog::warn("cluster: {} gave no slot map: {}", peer,
                 !parsed ? error : std::string("no slot is served"));
    if (!reply) link_.close();
    co_return false;
  }
  if (const auto& reads = config_.cluster.read_endpoint) {
    view.map.set_replicas(routing::NodeAddress{reads->host, reads->port, ""});
  }
  co_await resolve_nodes(view);
  known_primaries_.clear();
  known_replicas_.clear();
  for (const routing::Shard& shard : view.map.shards()) {
    known_primaries_.push_back(shard.primary);
    known_replicas_.insert(known_replicas_.end(), shard.replicas.begin(), shard.replicas.end());
  }
  on_view_(view);
  co_return true;
}

asio::awaitable<void> ClusterMonitor::resolve_nodes(ClusterView& view) {
  const auto add = [&view](const routing::NodeAddress& address) {
    if (view.find(address) == nullptr) view.nodes.push_back(ClusterNode{address, {}, {}});
  };
  for (const routing::Shard& shard : view.map.shards()) {
    add(shard.primary);
    for (const routing::NodeAddress& replica : shard.replicas) add(replica);
  }
  for (const routing::NodeAddress& spare : view.map.spares()) add(spare);
  for (ClusterNode& node : view.nodes) {
    node.endpoints = co_await resolve(node.address.host, node.address.port, node.error);
  }
}

asio::awaitable<bool> ClusterMonitor::refresh() {
  last_refresh_ = std::chrono::steady_clock::now();
  started_ms_ = common::coarse_now_ms();
  demanded_ = wanted_;
  wanted_ = false;
  ++refreshes_;
  for (const config::HostPort& node : candidates()) {
    if (stopping_) co_return false;
    if (co_await ask(node)) co_return true;
  }
  std::string tried;
  for (const config::HostPort& node : candidates())
    tried += (tried.empty() ? "" : ", ") + node.to_string();
  if (on_error_) on_error_("no cluster node gave a slot map (tried " + tried + ")");
  co_return false;
}

asio::awaitable<void> ClusterMonitor::loop() {
  auto self = shared_from_this();  // the loop may outlive stop() until the io is destroyed
  const auto interval = std::chrono::milliseconds(config_.cluster.refresh_ms);
  const auto fast = std::min(interval, std::chrono::milliseconds(kFastRefresh));
  while (!stopping_) {
    if (!wanted_) {
      wakeup_.expires_after(shard_held() ? fast : interval);
      boost::system::error_code ec;
      co_await wakeup_.async_wait(redirect_error(use_awaitable, ec));
      if (stopping_) co_return;
    }
    const auto since = std::chrono::steady_clock::now() - last_refresh_;
    if (since < kMinGap) {
      wakeup_.expires_after(kMinGap - since);
      boost::system::error_code ec;
      co_await wakeup_.async_wait(redirect_error(use_awaitable, ec));
      if (stopping_) co_return;
    }
    co_await refresh();
  }
}

void ClusterMonitor::start() {
  asio::co_spawn(io_, loop(), asio::detached);
}

void ClusterMonitor::stop() {
  stopping_ = true;
  wakeup_.cancel();
  link_.close();
}

void ClusterMonitor::refresh_now() {
  if (wanted_ || stopping_) return;
  wanted_ = true;
  wakeup_.cancel();  // the loop wakes, waits out kMinGap if needed, then refreshes
}

}  // namespace funnel::topology
