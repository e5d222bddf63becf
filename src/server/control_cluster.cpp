// Control's cluster mode (issue #16, docs/cluster.md): each slot map the ClusterMonitor reads
// becomes the snapshot's ClusterLayout (every shard's primary and replicas with stable node ids
// and link snapshots of their own), and the snapshot's own node becomes the primary of the shard
// serving slot 0 (keyless commands go there; its links are the workers' main pool).
#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "common/clock.hpp"
#include "routing/shard_standby.hpp"
#include "server/control.hpp"

namespace funnel::server {
namespace {

std::string text(const routing::NodeAddress& node) {
  return config::HostPort{node.host, node.port}.to_string();
}

const backend::ReplicaNode* find_node(const backend::ClusterLayout* layout, std::uint32_t id) {
  if (layout == nullptr) return nullptr;
  for (const backend::ClusterShard& shard : layout->shards) {
    if (shard.primary.node_id == id) return &shard.primary;
    for (const backend::ReplicaNode& replica : shard.replicas) {
      if (replica.node_id == id) return &replica;
    }
  }
  for (const backend::ReplicaNode& spare : layout->spares) {
    if (spare.node_id == id) return &spare;
  }
  return nullptr;
}

bool same_nodes(const backend::ReplicaNode& a, const backend::ReplicaNode& b) {
  return a.node_id == b.node_id && a.links == b.links && a.readable == b.readable;
}

bool same_layout(const backend::ClusterLayout& a, const backend::ClusterLayout& b) {
  if (!(a.map == b.map) || a.shards.size() != b.shards.size()) return false;
  for (std::size_t i = 0; i < a.spares.size(); ++i) {  // as many: the maps are equal
    if (!same_nodes(a.spares[i], b.spares[i])) return false;
  }
  for (std::size_t i = 0; i < a.shards.size(); ++i) {
    const backend::ClusterShard& x = a.shards[i];
    const backend::ClusterShard& y = b.shards[i];
    if (!same_nodes(x.primary, y.primary) || x.replicas.size() != y.replicas.size()) return false;
    for (std::size_t r = 0; r < x.replicas.size(); ++r) {
      if (!same_nodes(x.replicas[r], y.replicas[r])) return false;
    }
  }
  return true;
}

}  // namespace

void Control::request_cluster_refresh() {
  asio::post(io_, [this] {
    if (cluster_ && !stopping_) cluster_->refresh_now();
  });
}

// The node's stable id (by address) and link snapshot: reused while its endpoints are the same.
backend::ReplicaNode Control::cluster_node(const routing::NodeAddress& address,
                                           const topology::ClusterView& view,
                                           const backend::BackendSnapshot& current) {
  const std::string name = text(address);
  const topology::ClusterNode* node = view.find(address);
  const auto endpoints = node != nullptr ? node->endpoints : std::vector<asio::ip::tcp::endpoint>{};
  auto it = std::find_if(cluster_ids_.begin(), cluster_ids_.end(),
                         [&](const ClusterNodeId& id) { return id.address == name; });
  if (it == cluster_ids_.end()) {
    const auto id =
        backend::ClusterLayout::kClusterNodeBase + static_cast<std::uint32_t>(cluster_ids_.size());
    cluster_ids_.push_back(ClusterNodeId{name, id, endpoints, 1});
    it = cluster_ids_.end() - 1;
  } else if (it->endpoints != endpoints) {
    it->endpoints = endpoints;
    ++it->epoch;
  }
  backend::ReplicaNode out{it->node_id, nullptr, true};
  const backend::ReplicaNode* old = find_node(current.cluster.get(), it->node_id);
  if (old != nullptr && old->links->epoch == it->epoch) {
    out.links = old->links;
    return out;
  }
  backend::BackendSnapshot links;
  links.epoch = it->epoch;
  links.address = name;
  links.host = address.host;
  links.endpoints = endpoints;
  if (endpoints.empty()) links.resolve_error = node != nullptr ? node->error : "not resolved";
  links.commands = current.commands;
  links.redis_version = current.redis_version;
  out.links = std::make_shared<const backend::BackendSnapshot>(std::move(links));
  return out;
}

// The snapshot's own node follows the primary of the shard serving slot 0.
bool Control::set_cluster_main(backend::BackendSnapshot& next, const topology::ClusterView& view) {
  std::uint16_t index = view.map.shard_index(0);
  if (index == routing::SlotMap::kNoShard) index = 0;
  const routing::NodeAddress& primary = view.map.shards()[index].primary;
  const topology::ClusterNode* node = view.find(primary);
  if (node == nullptr || node->endpoints.empty()) return false;
  const std::string name = text(primary);
  if (next.address == name && next.endpoints == node->endpoints) return false;
  spdlog::info("cluster: keyless commands go to {}, the primary serving slot 0", name);
  next.address = name;
  next.host = primary.host;
  next.endpoints = node->endpoints;
  next.resolve_error.clear();
  ++next.epoch;
  link_.close();  // the command table and version from the new node
  return true;
}

// The map flags a shard's primary fail (the cluster agrees it is down): its requests wait for the
// promotion (routing/shard_hold.hpp), as when a worker's link to it drops; a partition that
// leaves Funnel's links up but the node unreachable for the cluster ends the same way.
void Control::hold_failed_primaries(const backend::ClusterLayout& layout) {
  const common::Millis now = common::coarse_now_ms();
  for (std::size_t i = 0; i < layout.shards.size(); ++i) {
    const backend::ClusterShard& shard = layout.shards[i];
    if (!layout.map.shards()[i].primary_failed ||
        !routing::shard_may_fail_over(layout.map.shards(), i)) {
      continue;
    }
    settings_.shard_hold_gate->node_down(
        shard.primary.node_id - backend::ClusterLayout::kClusterNodeBase, now);
  }
}

void Control::on_cluster_view(const topology::ClusterView& view) {
  backend::BackendSnapshot next = *current();
  auto layout = std::make_shared<backend::ClusterLayout>();
  layout->map = view.map;
  for (const routing::Shard& shard : view.map.shards()) {
    backend::ClusterShard out;
    out.primary = cluster_node(shard.primary, view, next);
    for (const routing::NodeAddress& replica : shard.replicas) {
      out.replicas.push_back(cluster_node(replica, view, next));
    }
    layout->shards.push_back(std::move(out));
  }
  for (const routing::NodeAddress& spare : view.map.spares()) {
    layout->spares.push_back(cluster_node(spare, view, next));
  }
  layout->read_started_ms = view.started_ms;
  hold_failed_primaries(*layout);
  const bool main_moved = set_cluster_main(next, view);
  if (!main_moved && next.cluster && same_layout(*next.cluster, *layout)) {
    if (!view.demanded) return;
    // Unchanged, but a worker waits for this read to judge a redirect: tell it the map holds.
    layout->version = next.cluster->version;
    next.cluster = std::move(layout);
    publish(std::move(next));
    return;
  }
  spdlog::info("cluster: slot map from {}: {} shards, {} slots served", view.answered_by,
               layout->shards.size(), layout->map.covered_slots());
  layout->version = next.cluster ? next.cluster->version + 1 : 1;
  next.cluster = std::move(layout);
  publish(std::move(next));
}

void Control::on_cluster_error(const std::string& error) {
  if (last_error() != error) spdlog::warn("cluster: {}", error);
  if (!current()->cluster) set_health(false, error);
}

}  // namespace funnel::server
