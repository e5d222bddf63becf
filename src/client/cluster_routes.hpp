// One worker's routes into a Redis Cluster (issue #16, docs/cluster.md): the pool of each
// shard's primary and of its replicas (when the read policy reads from replicas), in the order of
// the snapshot's ClusterLayout, and the slot of a request's first key. No I/O; worker thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "backend/backend_pool.hpp"
#include "backend/backend_snapshot.hpp"
#include "backend/pinned_pool.hpp"
#include "command/classify.hpp"
#include "resp/request_parser.hpp"
#include "routing/read_policy.hpp"

namespace funnel::client {

// No key: the request goes to the main pool (the primary serving slot 0).
inline constexpr std::uint16_t kNoSlot = 0xFFFF;

// The slot of the request's first key (from the command's key spec; EVAL*/FCALL* by numkeys), or
// kNoSlot for a keyless command. A key the spec does not find (movable keys: XREAD ... STREAMS)
// counts as none: the main node answers MOVED and the redirect takes it to the right shard.
std::uint16_t first_key_slot(const command::Classification& cls, const resp::Request& request);

struct ClusterRoutes {
  std::shared_ptr<const backend::ClusterLayout> layout;      // null outside cluster mode
  std::vector<backend::BackendPool*> primaries;              // [shard]; never null
  std::vector<std::vector<backend::BackendPool*>> replicas;  // [shard]; empty: none readable
  std::vector<backend::PinnedPool*> pinned;                  // [shard]; never null
  std::vector<backend::BackendPool*> spares;  // [layout->spares index]; an ASK's target only
  std::uint32_t turn = 0;                     // spreads reads over replicas
  // The SCAN cursor's tag of `layout`'s map (routing/shard_scan.hpp), computed on the first SCAN
  // under each layout (scan_tag_of: the layout it was computed for).
  std::uint32_t scan_tag = 0;
  const backend::ClusterLayout* scan_tag_of = nullptr;

  // The pool of the node at host:port if the layout lists it (primary, replica or a primary that
  // serves no slot yet) and this worker has links to it; null otherwise (unlisted: a forged or
  // not yet known address).
  backend::BackendPool* pool_for_address(std::string_view host, std::uint16_t port) const;
  // Where a read of `slot` goes under `policy`: a replica of its shard when the policy allows and
  // one is readable, else the primary (`fallback` for a keyless or unserved slot); null under
  // policy replica when the shard has no readable replica.
  backend::BackendPool* read_pool(std::uint16_t slot, routing::ReadPolicy policy,
                                  backend::BackendPool* fallback, bool& on_replica);
};

}  // namespace funnel::client
