#include "routing/slot_map.hpp"

#include <algorithm>

namespace funnel::routing {
namespace {

// [host, port, id?, ...] (Redis 7 appends a map of hostnames; ignored here).
bool read_node(const resp::Value& entry, const NodeAddress& answered_by, NodeAddress& node,
               std::string& error) {
  if (entry.type != resp::ValueType::kArray || entry.elems.size() < 2) {
    error = "a node is not an array of host and port";
    return false;
  }
  const std::optional<std::string_view> host = entry.elems[0].as_string();
  const resp::Value& port = entry.elems[1];
  if (!host || port.type != resp::ValueType::kInteger || port.integer <= 0 ||
      port.integer > 65535) {
    error = "a node has no valid host and port";
    return false;
  }
  if (*host == "?") {
    error = "a node's endpoint is unknown ('?'): set cluster-preferred-endpoint-type";
    return false;
  }
  node.host = host->empty() ? answered_by.host : std::string(*host);
  node.port = static_cast<std::uint16_t>(port.integer);
  node.id.clear();
  if (entry.elems.size() >= 3) {
    if (const auto id = entry.elems[2].as_string()) node.id = std::string(*id);
  }
  return true;
}

bool read_range(const resp::Value& entry, std::int64_t& first, std::int64_t& last,
                std::string& error) {
  if (entry.type != resp::ValueType::kArray || entry.elems.size() < 3 ||
      entry.elems[0].type != resp::ValueType::kInteger ||
      entry.elems[1].type != resp::ValueType::kInteger) {
    error = "an entry is not [first slot, last slot, primary, replicas...]";
    return false;
  }
  first = entry.elems[0].integer;
  last = entry.elems[1].integer;
  if (first < 0 || last < first || last >= kSlotCount) {
    error = "a slot range is out of 0-16383";
    return false;
  }
  return true;
}

// The index of the shard whose primary is `primary`, added if new (one primary may serve
// several ranges).
std::uint16_t add_shard(std::vector<Shard>& shards, Shard&& shard) {
  for (std::size_t i = 0; i < shards.size(); ++i) {
    if (shards[i].primary == shard.primary) return static_cast<std::uint16_t>(i);
  }
  shards.push_back(std::move(shard));
  return static_cast<std::uint16_t>(shards.size() - 1);
}

}  // namespace

bool SlotMap::assign(const resp::Value& reply, const NodeAddress& answered_by, std::string& error) {
  if (reply.type != resp::ValueType::kArray) {
    error = reply.is_error() ? "CLUSTER SLOTS failed: " + reply.str : "CLUSTER SLOTS: not an array";
    return false;
  }
  std::vector<Shard> shards;
  std::array<std::uint16_t, kSlotCount> owner;
  owner.fill(kNoShard);
  for (const resp::Value& entry : reply.elems) {
    std::int64_t first = 0;
    std::int64_t last = 0;
    Shard shard;
    if (!read_range(entry, first, last, error) ||
        !read_node(entry.elems[2], answered_by, shard.primary, error)) {
      return false;
    }
    for (std::size_t i = 3; i < entry.elems.size(); ++i) {
      NodeAddress replica;
      if (!read_node(entry.elems[i], answered_by, replica, error)) return false;
      shard.replicas.push_back(std::move(replica));
    }
    const std::uint16_t index = add_shard(shards, std::move(shard));
    std::fill(owner.begin() + first, owner.begin() + last + 1, index);
  }
  shards_ = std::move(shards);
  owner_ = owner;
  return true;
}

const Shard* SlotMap::shard_for_slot(std::uint16_t slot) const {
  if (slot >= kSlotCount || owner_[slot] == kNoShard || shards_.empty()) return nullptr;
  return &shards_[owner_[slot]];
}

bool SlotMap::knows(const NodeAddress& address) const {
  const auto serves = [&](const Shard& shard) {
    return shard.primary == address ||
           std::find(shard.replicas.begin(), shard.replicas.end(), address) != shard.replicas.end();
  };
  return std::any_of(shards_.begin(), shards_.end(), serves) ||
         std::find(spares_.begin(), spares_.end(), address) != spares_.end();
}

std::size_t SlotMap::covered_slots() const {
  return static_cast<std::size_t>(
      std::count_if(owner_.begin(), owner_.end(), [](std::uint16_t s) { return s != kNoShard; }));
}

}  // namespace funnel::routing
