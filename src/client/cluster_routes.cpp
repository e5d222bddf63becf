// ClusterRoutes and first_key_slot: see cluster_routes.hpp.
#include "client/cluster_routes.hpp"

#include <charconv>

#include "config/config.hpp"
#include "routing/key_slot.hpp"

namespace funnel::client {
namespace {

bool is_script_call(std::string_view name) {
  return name == "eval" || name == "evalsha" || name == "eval_ro" || name == "evalsha_ro" ||
         name == "fcall" || name == "fcall_ro";
}

}  // namespace

std::uint16_t first_key_slot(const command::Classification& cls, const resp::Request& request) {
  const command::CommandSpec* spec = cls.spec;
  if (spec == nullptr) return kNoSlot;
  std::size_t index = 0;
  if (spec->first_key > 0) {
    index = static_cast<std::size_t>(spec->first_key);
  } else if (is_script_call(spec->name) && request.argc() > 3) {
    // EVAL script numkeys key ...: the first key, when numkeys > 0.
    const std::string_view numkeys = request.arg(2);
    unsigned count = 0;
    const auto [end, ec] = std::from_chars(numkeys.data(), numkeys.data() + numkeys.size(), count);
    if (ec != std::errc{} || count == 0) return kNoSlot;
    index = 3;
  } else {
    return kNoSlot;
  }
  if (index >= request.argc()) return kNoSlot;
  return routing::key_slot(request.arg(index));
}

backend::BackendPool* ClusterRoutes::pool_for_address(std::string_view host,
                                                      std::uint16_t port) const {
  if (!layout) return nullptr;
  const std::string address = config::HostPort{std::string(host), port}.to_string();
  for (std::size_t i = 0; i < layout->shards.size(); ++i) {
    const backend::ClusterShard& shard = layout->shards[i];
    if (shard.primary.links->address == address) return primaries[i];
    for (const backend::ReplicaNode& replica : shard.replicas) {
      if (replica.links->address != address) continue;
      for (backend::BackendPool* pool : replicas[i]) {
        if (pool->node() == replica.node_id) return pool;
      }
      return nullptr;  // listed, but this worker reads only from primaries
    }
  }
  for (std::size_t i = 0; i < layout->spares.size() && i < spares.size(); ++i) {
    if (layout->spares[i].links->address == address) return spares[i];
  }
  return nullptr;
}

backend::BackendPool* ClusterRoutes::read_pool(std::uint16_t slot, routing::ReadPolicy policy,
                                               backend::BackendPool* fallback, bool& on_replica) {
  on_replica = false;
  const std::uint16_t shard =
      slot == kNoSlot ? routing::SlotMap::kNoShard : layout->map.shard_index(slot);
  if (shard == routing::SlotMap::kNoShard || shard >= primaries.size()) {
    return fallback;
  }
  const std::vector<backend::BackendPool*>& readable = replicas[shard];
  if (policy == routing::ReadPolicy::kPrimary || readable.empty()) {
    if (policy == routing::ReadPolicy::kReplica) return nullptr;
    return primaries[shard];
  }
  on_replica = true;
  return readable[turn++ % readable.size()];
}

}  // namespace funnel::client
