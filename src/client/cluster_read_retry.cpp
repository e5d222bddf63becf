// ReplyRouter's retry of a cluster replica read (issue #16, docs/cluster.md): a read sent to a
// shard's replica that the replica fails (its link lost or timed out, -LOADING, -MASTERDOWN, or
// -NOSCRIPT) changed nothing, so it goes to the primary of that replica's shard in the current
// layout instead of failing; a replica that failed asks for a slot map read (the map drops
// replicas that are not online). Worker thread only; rare path.
#include <spdlog/spdlog.h>

#include "client/reply_router.hpp"

namespace funnel::client {

void ReplyRouter::retry_cluster_read(std::uint32_t node, resp::Protocol protocol,
                                     std::string_view request, const backend::ReplyTarget& target,
                                     common::Millis deadline, std::string_view reason,
                                     bool node_failed) {
  const ClusterRoutes& routes = ctx_.cluster_routes;
  backend::BackendPool* primary = ctx_.pool;  // not found: the main node redirects it
  for (std::size_t i = 0; i < routes.layout->shards.size() && i < routes.primaries.size(); ++i) {
    for (const backend::ReplicaNode& replica : routes.layout->shards[i].replicas) {
      if (replica.node_id == node) primary = routes.primaries[i];
    }
  }
  if (node_failed) {
    spdlog::debug("cluster: replica {} failed a read ({}); sent to its shard's primary", node,
                  reason);
    peers_.request_cluster_refresh();
  }
  backend::ReplyTarget retry = target;
  retry.flags &= static_cast<std::uint8_t>(~backend::ReplyTarget::kRetryRead);
  ctx_.metrics->reads_on_primary.add();
  primary->submit(protocol, target.session_index, request, retry, deadline, 0);
}

}  // namespace funnel::client
