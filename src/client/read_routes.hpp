// One worker's view of where reads may go (issue #5): the primary and the replicas of the
// current snapshot, each with this worker's requests in flight to it, minus the replicas this
// worker saw fail since the snapshot said otherwise. ClientSession asks it for the node of each
// read-only request; routing::choose_read_node holds the rules (policy, least outstanding,
// stickiness, read-your-writes offsets, cursors). Worker thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "backend/backend_pool.hpp"
#include "backend/replica_pools.hpp"
#include "client/near_cache.hpp"
#include "routing/offset_board.hpp"
#include "routing/read_policy.hpp"
#include "routing/read_router.hpp"

namespace funnel::client {

// topology.read_your_writes.
enum class ReadYourWrites : std::uint8_t { kOff, kClient, kProcess };
// "client", "process", anything else (validated: "off") kOff.
inline ReadYourWrites read_your_writes_from(std::string_view name) {
  if (name == "client") return ReadYourWrites::kClient;
  return name == "process" ? ReadYourWrites::kProcess : ReadYourWrites::kOff;
}

// When the last write through this process was answered (read-your-writes, process scope): one
// slot per worker, so a write costs one uncontended relaxed store. Thread-safe.
class WriteWatermark {
 public:
  explicit WriteWatermark(unsigned workers) : slots_(workers) {}
  void note(unsigned worker, std::int64_t done_ns) {
    slots_[worker].value.store(done_ns, std::memory_order_relaxed);
  }
  std::int64_t latest() const {
    std::int64_t latest = 0;
    for (const Slot& slot : slots_) {
      latest = std::max(latest, slot.value.load(std::memory_order_relaxed));
    }
    return latest;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<std::int64_t> value{0};
  };
  std::vector<Slot> slots_;
};

// A client's read routing state; allocated on its first routed read or tracked write (clients
// of a single-node Funnel never get one).
struct ReadState {
  routing::ClientReadState route;  // sticky replica, cursor node (reserved: layout epoch)
  std::int64_t last_write_ns = 0;  // when the client's last write was answered
  std::uint32_t writes_in_flight = 0;
  // The near cache (shield.near_cache): this client's fill and cached-key writes in flight.
  std::unique_ptr<NearCacheSession> near_cache;
};

class ReadRoutes {
 public:
  struct Choice {
    std::uint32_t node = backend::kPrimaryNode;  // the replica's id, or kPrimaryNode
    backend::BackendPool* pool = nullptr;        // the replica's pool; null for the primary
    int index = 0;                               // into the node list (0 is the primary)
    std::string_view error;                      // set: no node may serve it (policy replica)
  };

  ReadRoutes(routing::ReadPolicy policy, ReadYourWrites read_your_writes)
      : policy_(policy), read_your_writes_(read_your_writes) {}

  // A new snapshot: the node list, which replicas are readable, the offsets board.
  void update(const backend::BackendSnapshot& snapshot, backend::ReplicaPools& replicas,
              const backend::BackendPool& primary);
  // False when every read goes to the primary anyway (policy primary, or no replica known):
  // the session skips routing altogether.
  bool active() const { return active_; }
  ReadYourWrites read_your_writes() const { return read_your_writes_; }
  routing::ReadPolicy policy() const { return policy_; }
  // A configuration reload's new policy; the caller then calls update() again.
  void set_policy(routing::ReadPolicy policy) { policy_ = policy; }
  // A reload's topology.read_your_writes: it covers the writes answered from now on.
  void set_read_your_writes(ReadYourWrites scope) { read_your_writes_ = scope; }
  // Bumps whenever the node list changes, so indexes kept by sessions (cursor_node) from an
  // older list are not used against a newer one.
  std::uint32_t layout_epoch() const { return layout_epoch_; }

  Choice choose(routing::ClientReadState& state, std::int64_t needed_offset,
                bool cursor_continuation);
  // After `failed_node` failed a read: another readable replica under policy replica, else the
  // primary (always safe for a read).
  Choice choose_retry(std::uint32_t failed_node);
  // This worker saw `node` fail a read: out of the read set here until a snapshot says again
  // how it is. Returns true the first time (so the caller reports it once).
  bool mark_down(std::uint32_t node);
  const routing::OffsetBoard* offsets() const { return offsets_.get(); }
  template <typename Fn>
  void for_each_replica(Fn&& fn) {
    for (backend::BackendPool* pool : pools_) {
      if (pool != nullptr) fn(*pool);
    }
  }

 private:
  void refresh_load();
  Choice choice_for(int index) const;

  routing::ReadPolicy policy_;
  ReadYourWrites read_your_writes_;
  bool active_ = false;
  std::vector<routing::NodeView> views_;      // [0] the primary, then the snapshot's replicas
  std::vector<std::uint32_t> node_ids_;       // same indexes ([0]: kPrimaryNode)
  std::vector<backend::BackendPool*> pools_;  // same indexes ([0]: null, the primary's pool)
  const backend::BackendPool* primary_ = nullptr;
  std::vector<std::uint32_t> down_;  // replicas this worker saw fail since the last snapshot
  std::uint32_t health_epoch_ = 0;   // stickiness ends when it moves
  std::uint32_t layout_epoch_ = 0;
  std::shared_ptr<const routing::OffsetBoard> offsets_;
};

}  // namespace funnel::client
