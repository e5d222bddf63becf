// Whether a cluster shard's requests should wait for a replica's promotion when its primary goes
// down (routing/shard_hold.hpp, docs/cluster.md#failover-a-shards-primary-down). No I/O.
#pragma once

#include <cstddef>
#include <vector>

#include "routing/slot_map.hpp"

namespace funnel::routing {

// True when shards[index] lists a replica (online, or still "loading"), or, when it lists none,
// another shard does. Funnel's map may predate a replica's arrival (CLUSTER SHARDS shows a new
// replica only once gossip told the answering node, seconds after `redis-cli --cluster
// create`), and a cluster built with replicas fails each shard over; a cluster with no replica
// anywhere has nothing to wait for, so its requests fail fast as before.
bool shard_may_fail_over(const std::vector<Shard>& shards, std::size_t index);

}  // namespace funnel::routing
