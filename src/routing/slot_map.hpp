// Which shard serves each of Redis Cluster's 16384 slots, built from a CLUSTER SLOTS reply (no
// I/O). Funnel connects only to nodes a map lists: a redirect (MOVED, ASK) naming any other
// address is followed only after a refreshed map lists it (issue #16), so a script that forges
// `-MOVED 1 evil:6379` cannot make Funnel connect anywhere.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/value.hpp"
#include "routing/key_slot.hpp"

namespace funnel::routing {

struct NodeAddress {
  std::string host;
  std::uint16_t port = 0;
  std::string id;  // the node's cluster id (40 hex characters), empty if not given
  bool operator==(const NodeAddress& other) const {
    return host == other.host && port == other.port;
  }
};

// A primary and its replicas, as one entry of CLUSTER SLOTS lists them.
struct Shard {
  NodeAddress primary;
  std::vector<NodeAddress> replicas;
  // CLUSTER SHARDS says the primary's health is "fail" (the FAIL flag: the cluster agrees it is
  // down); its replica is about to be promoted (routing/shard_hold.hpp). Not known from SLOTS.
  bool primary_failed = false;
  // A replica not flagged fail, online or not (CLUSTER SHARDS lists one "loading" until gossip
  // brings its offset): the shard can fail over, so requests wait for it (shard_hold.hpp).
  bool has_standby = false;
  bool can_fail_over() const { return has_standby || !replicas.empty(); }
  bool operator==(const Shard& other) const = default;
};

class SlotMap {
 public:
  static constexpr std::uint16_t kNoShard = 0xFFFF;

  SlotMap() { owner_.fill(kNoShard); }

  // Replaces the map with the one in `reply` (CLUSTER SLOTS, RESP2 or RESP3). A node whose
  // address is empty is the node that answered (Redis's "unknown endpoint" for a node that has
  // not learnt its own address): `answered_by` stands in for it. False, with the reason in
  // `error` and the map unchanged, when the reply is not a valid CLUSTER SLOTS reply.
  bool assign(const resp::Value& reply, const NodeAddress& answered_by, std::string& error);
  // The same from a CLUSTER SHARDS reply (Redis 7+; cluster_shards.cpp): a node's "endpoint"
  // is its address (empty: the node that answered); replicas whose health is not "online"
  // (loading, failed) are left out; shards without slots are skipped (their primary is a spare).
  bool assign_shards(const resp::Value& reply, const NodeAddress& answered_by, std::string& error);

  // The shard serving `slot`, or nullptr while no shard serves it (CLUSTERDOWN for its keys).
  const Shard* shard_for_slot(std::uint16_t slot) const;
  // The index into shards() of the shard serving `slot`, or kNoShard.
  std::uint16_t shard_index(std::uint16_t slot) const {
    return slot < kSlotCount ? owner_[slot] : kNoShard;
  }
  // The same shards (primaries and replicas, in order) serving the same slots.
  bool operator==(const SlotMap& other) const = default;
  const Shard* shard_for_key(std::string_view key) const { return shard_for_slot(key_slot(key)); }
  const std::vector<Shard>& shards() const { return shards_; }
  // Primaries that serve no slot (CLUSTER SHARDS only): a node just added, before the first slot
  // migrated to it is done. Never routed to nor fanned out to; listed so that an ASK naming one
  // (a slot being migrated to it) can be followed. Right after a cluster is created, a replica
  // that has not yet taken its role shows up here too: harmless, nothing is sent to it unasked.
  const std::vector<NodeAddress>& spares() const { return spares_; }
  // Every shard's replicas become `replica` alone: ElastiCache Serverless's read-from-replica
  // port stands for them, whatever the map lists (config::resolve_serverless).
  void set_replicas(const NodeAddress& replica) {
    for (Shard& shard : shards_) shard.replicas = {replica};
  }
  // True if the map lists `address` as a primary or a replica.
  bool knows(const NodeAddress& address) const;
  std::size_t covered_slots() const;

 private:
  std::vector<Shard> shards_;
  std::vector<NodeAddress> spares_;
  std::array<std::uint16_t, kSlotCount> owner_;  // shard index per slot, or kNoShard
};

}  // namespace funnel::routing
