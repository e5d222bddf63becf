// PubsubHub in cluster mode (issue #16, docs/cluster.md "Sharded pub/sub"): shard channels are
// subscribed on a link to the primary serving their slot, one link per primary for the whole
// process (funnel:subscriber:shard:N), opened on the first shard channel it serves. Channels and
// patterns stay on the main link (slot 0's primary): Redis Cluster forwards classic PUBLISH to
// every node. When a shard channel's slot moves, its node sends `sunsubscribe` itself: the hub
// passes it on to the channel's subscribers (as Redis would to a direct client) and forgets the
// name. When a primary leaves the map (failover), its link closes and its channels are
// subscribed again on their slot's new primary, the clients staying subscribed.
#include <spdlog/spdlog.h>

#include "routing/key_slot.hpp"
#include "server/pubsub_hub.hpp"

namespace funnel::server {

std::uint32_t PubsubHub::owner_node(PubsubKind kind, std::string_view name) const {
  if (kind != PubsubKind::kShard || !cluster_mode()) return 0;
  const backend::ClusterLayout& layout = *snapshot_->cluster;
  const std::uint16_t shard = layout.map.shard_index(routing::key_slot(name));
  if (shard >= layout.shards.size()) return 0;  // unserved: the main node answers its error
  return layout.shards[shard].primary.node_id;
}

backend::BackendLink* PubsubHub::existing_link(std::uint32_t node) {
  if (node == 0) return link_.get();
  const auto it = shard_links_.find(node);
  return it == shard_links_.end() ? nullptr : it->second.get();
}

backend::BackendLink* PubsubHub::link_to(std::uint32_t node) {
  if (node == 0) {
    ensure_link();
    return link_.get();
  }
  if (backend::BackendLink* link = existing_link(node)) return link;
  for (const backend::ClusterShard& shard : snapshot_->cluster->shards) {
    if (shard.primary.node_id != node) continue;
    const std::string name = "funnel:subscriber:shard:" +
                             std::to_string(node - backend::ClusterLayout::kClusterNodeBase);
    auto link = std::make_shared<backend::BackendLink>(io_, settings_, resp::Protocol::kResp3, name,
                                                       *this, *this);
    link->set_push_sink(this);
    link->start(shard.primary.links);
    return shard_links_.emplace(node, std::move(link)).first->second.get();
  }
  return nullptr;
}

bool PubsubHub::node_of(const backend::BackendLink& link, std::uint32_t& node) const {
  if (&link == link_.get()) {
    node = 0;
    return true;
  }
  for (const auto& [id, shard_link] : shard_links_) {
    if (shard_link.get() != &link) continue;
    node = id;
    return true;
  }
  return false;
}

// A new map: links to nodes no longer primaries close (their channels are forgotten there), and
// every wanted shard channel not subscribed anywhere is asked of its slot's primary.
void PubsubHub::on_shards_changed() {
  const auto is_primary = [&](std::uint32_t node) {
    for (const backend::ClusterShard& shard : snapshot_->cluster->shards) {
      if (shard.primary.node_id == node) return true;
    }
    return false;
  };
  for (auto it = shard_links_.begin(); it != shard_links_.end();) {
    if (is_primary(it->first)) {
      ++it;
      continue;
    }
    spdlog::info("pub/sub: {} left the cluster's primaries; its shard channels move",
                 it->second->name());
    retiring_.push_back(std::move(it->second));
    retiring_.back()->shutdown("no longer a primary");
    forget_backend_state(it->first);
    shard_pings_.erase(it->first);
    it = shard_links_.erase(it);
  }
  ask_unasked_shard_channels();
}

void PubsubHub::ask_unasked_shard_channels() {
  for (auto& [name, interest] : map(PubsubKind::kShard)) {
    if (interest.count > 0 && !interest.asked) ask(PubsubKind::kShard, interest, name);
  }
}

// A shard link that answered no PING (check_ping): closed as one whose node left the primaries,
// and a new link to the same node opened for its channels (subscribed once it is ready, by
// on_link_ready's replay). The clients stay subscribed; messages published meanwhile are lost,
// as with the main link.
void PubsubHub::replace_shard_link(std::uint32_t node, std::string_view why) {
  const auto it = shard_links_.find(node);
  if (it == shard_links_.end()) return;
  retiring_.push_back(std::move(it->second));
  retiring_.back()->shutdown(why);
  shard_links_.erase(it);
  shard_pings_.erase(node);
  forget_backend_state(node);
  ask_unasked_shard_channels();
}

// A shard link's sunsubscribe: the confirmation of one of ours, or the node ending the
// subscription (its slot moved away): then every worker with subscribers hears of it.
void PubsubHub::on_dropped(PubsubKind kind, std::string_view name) {
  Map& entries = map(kind);
  const auto it = entries.find(name);
  if (it == entries.end()) return;
  Interest& interest = it->second;
  if (interest.unsub_pending > 0) {
    --interest.unsub_pending;
    if (interest.count == 0 && interest.pending == 0 && interest.unsub_pending == 0) {
      entries.erase(it);
    }
    return;
  }
  if (!interest.asked) return;  // not subscribed there: nothing to end
  set_live(kind, interest, false);
  for (unsigned w = 0; w < workers_; ++w) {
    if (interest.workers[w] == 0) continue;
    client::PubsubDelivery& batch = outgoing_[w];
    client::PubsubDelivery::Item item;
    item.dropped = true;
    item.kind = kind;
    item.key_offset = static_cast<std::uint32_t>(batch.bytes.size());
    item.key_length = static_cast<std::uint32_t>(name.size());
    batch.bytes.append(name);
    batch.items.push_back(item);
  }
  schedule_flush();
  entries.erase(it);
}

// A shard link answered an SSUBSCRIBE with MOVED: the map Funnel holds is behind the cluster's.
// The reply does not say which channel, so every unconfirmed one on that node waits for the next
// map (read at once when a worker meets the MOVED, else within cluster.refresh_ms); its clients
// wait for their confirmation up to backend.request_timeout_ms, as for a node that is down.
void PubsubHub::on_shard_moved(std::uint32_t node) {
  for (auto& [name, interest] : map(PubsubKind::kShard)) {
    if (interest.node != node || !interest.asked || interest.live) continue;
    interest.asked = false;
    interest.pending = 0;
    // A map that has moved on already (it came while the SSUBSCRIBE was in flight): now.
    if (owner_node(PubsubKind::kShard, name) != node) ask(PubsubKind::kShard, interest, name);
  }
}

}  // namespace funnel::server
