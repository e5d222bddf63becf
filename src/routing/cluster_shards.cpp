// SlotMap::assign_shards: the slot map from a CLUSTER SHARDS reply (Redis 7+), which Funnel asks
// first; CLUSTER SLOTS (slot_map.cpp) is the fallback for older servers. No I/O.
#include <algorithm>

#include "routing/slot_map.hpp"

namespace funnel::routing {
namespace {

struct ShardNode {
  NodeAddress address;
  bool primary = false;
  bool online = false;
  bool failed = false;
};

std::string_view text_of(const resp::Value* value) {
  if (value == nullptr) return {};
  return value->as_string().value_or(std::string_view{});
}

bool read_shard_node(const resp::Value& entry, const NodeAddress& answered_by, ShardNode& node,
                     std::string& error) {
  if (!entry.is_aggregate()) {
    error = "CLUSTER SHARDS: a node is not a map";
    return false;
  }
  const resp::Value* port = entry.find("port");
  if (port == nullptr) port = entry.find("tls-port");
  const resp::Value* endpoint = entry.find("endpoint");
  if (port == nullptr || port->type != resp::ValueType::kInteger || port->integer <= 0 ||
      port->integer > 65535 || endpoint == nullptr || !endpoint->as_string()) {
    error = "CLUSTER SHARDS: a node has no valid endpoint and port";
    return false;
  }
  const std::string_view host = *endpoint->as_string();
  if (host == "?") {
    error = "a node's endpoint is unknown ('?'): set cluster-preferred-endpoint-type";
    return false;
  }
  node.address.host = host.empty() ? answered_by.host : std::string(host);
  node.address.port = static_cast<std::uint16_t>(port->integer);
  node.address.id = std::string(text_of(entry.find("id")));
  node.primary = text_of(entry.find("role")) == "master";
  node.online = text_of(entry.find("health")) == "online";
  node.failed = text_of(entry.find("health")) == "fail";
  return true;
}

// "slots": [first, last, first, last, ...]; false if malformed.
bool read_slot_pairs(const resp::Value& slots, std::vector<std::pair<int, int>>& ranges,
                     std::string& error) {
  if (slots.type != resp::ValueType::kArray || slots.elems.size() % 2 != 0) {
    error = "CLUSTER SHARDS: slots is not a list of ranges";
    return false;
  }
  for (std::size_t i = 0; i < slots.elems.size(); i += 2) {
    const resp::Value& first = slots.elems[i];
    const resp::Value& last = slots.elems[i + 1];
    if (first.type != resp::ValueType::kInteger || last.type != resp::ValueType::kInteger ||
        first.integer < 0 || last.integer < first.integer || last.integer >= kSlotCount) {
      error = "CLUSTER SHARDS: a slot range is out of 0-16383";
      return false;
    }
    ranges.emplace_back(static_cast<int>(first.integer), static_cast<int>(last.integer));
  }
  return true;
}

// One shard entry; false with `error` if malformed. A shard without slots (an empty primary, or
// a former shard's leftovers) leaves `ranges` empty.
bool read_shard(const resp::Value& entry, const NodeAddress& answered_by, Shard& shard,
                std::vector<std::pair<int, int>>& ranges, std::string& error) {
  const resp::Value* slots = entry.is_aggregate() ? entry.find("slots") : nullptr;
  const resp::Value* nodes = entry.is_aggregate() ? entry.find("nodes") : nullptr;
  if (slots == nullptr || nodes == nullptr || nodes->type != resp::ValueType::kArray) {
    error = "CLUSTER SHARDS: a shard has no slots and nodes";
    return false;
  }
  if (!read_slot_pairs(*slots, ranges, error)) return false;
  bool has_primary = false;
  for (const resp::Value& item : nodes->elems) {
    ShardNode node;
    if (!read_shard_node(item, answered_by, node, error)) return false;
    if (node.primary) {
      shard.primary = std::move(node.address);
      has_primary = true;
      shard.primary_failed = node.failed;
    } else {
      if (!node.failed) shard.has_standby = true;
      if (node.online) shard.replicas.push_back(std::move(node.address));
    }
  }
  if (!has_primary && !ranges.empty()) {
    error = "CLUSTER SHARDS: a shard serving slots has no primary";
    return false;
  }
  return true;
}

}  // namespace

bool SlotMap::assign_shards(const resp::Value& reply, const NodeAddress& answered_by,
                            std::string& error) {
  if (reply.type != resp::ValueType::kArray) {
    error =
        reply.is_error() ? "CLUSTER SHARDS failed: " + reply.str : "CLUSTER SHARDS: not an array";
    return false;
  }
  std::vector<Shard> shards;
  std::vector<NodeAddress> spares;
  std::array<std::uint16_t, kSlotCount> owner;
  owner.fill(kNoShard);
  for (const resp::Value& entry : reply.elems) {
    Shard shard;
    std::vector<std::pair<int, int>> ranges;
    if (!read_shard(entry, answered_by, shard, ranges, error)) return false;
    if (ranges.empty()) {
      if (!shard.primary.host.empty() && !shard.primary_failed) spares.push_back(shard.primary);
      continue;
    }
    shards.push_back(std::move(shard));
    const auto index = static_cast<std::uint16_t>(shards.size() - 1);
    for (const auto& [first, last] : ranges) {
      std::fill(owner.begin() + first, owner.begin() + last + 1, index);
    }
  }
  shards_ = std::move(shards);
  spares_ = std::move(spares);
  owner_ = owner;
  return true;
}

}  // namespace funnel::routing
