// NodeRegistry: see node_registry.hpp.
#include "topology/node_registry.hpp"

#include <algorithm>

namespace funnel::topology {
namespace {
bool overlap(const std::vector<NodeRegistry::Endpoint>& a,
             const std::vector<NodeRegistry::Endpoint>& b) {
  for (const auto& endpoint : a) {
    if (std::find(b.begin(), b.end(), endpoint) != b.end()) return true;
  }
  return false;
}
}  // namespace

NodeRegistry::NodeRegistry(std::uint32_t max_ids) : max_ids_(max_ids) {}

std::optional<std::uint32_t> NodeRegistry::upsert(const config::HostPort& address,
                                                  const std::vector<Endpoint>& endpoints,
                                                  bool configured) {
  NodeEntry* existing = endpoints.empty() ? nullptr : find(endpoints);
  if (existing == nullptr) {
    for (auto& entry : nodes_) {
      if (entry.status.address == address) existing = &entry;
    }
  }
  if (existing != nullptr) {
    // A configured name keeps following its DNS answer; a discovered node is its endpoint.
    if (existing->status.endpoints.empty() ||
        (existing->configured && !endpoints.empty() && existing->status.address == address)) {
      existing->status.endpoints = endpoints;
    }
    existing->configured = existing->configured || configured;
    return existing->status.node_id;
  }
  if (full()) return std::nullopt;
  NodeEntry entry;
  entry.status.node_id = next_id_++;
  entry.status.address = address;
  entry.status.endpoints = endpoints;
  entry.configured = configured;
  nodes_.push_back(std::move(entry));
  return nodes_.back().status.node_id;
}

NodeEntry* NodeRegistry::find(const std::vector<Endpoint>& endpoints) {
  for (auto& entry : nodes_) {
    if (overlap(entry.status.endpoints, endpoints)) return &entry;
  }
  return nullptr;
}

NodeEntry* NodeRegistry::find(std::uint32_t node_id) {
  for (auto& entry : nodes_) {
    if (entry.status.node_id == node_id) return &entry;
  }
  return nullptr;
}

const NodeEntry* NodeRegistry::find(std::uint32_t node_id) const {
  for (const auto& entry : nodes_) {
    if (entry.status.node_id == node_id) return &entry;
  }
  return nullptr;
}

void NodeRegistry::remove(std::uint32_t node_id) {
  std::erase_if(nodes_, [&](const NodeEntry& entry) { return entry.status.node_id == node_id; });
}

std::vector<std::uint32_t> NodeRegistry::age(const std::vector<std::uint32_t>& named,
                                             unsigned max_missed) {
  std::vector<std::uint32_t> dropped;
  for (auto& entry : nodes_) {
    const bool is_named =
        std::find(named.begin(), named.end(), entry.status.node_id) != named.end();
    if (entry.configured || is_named || entry.status.reachable) {
      entry.missed_rounds = 0;
    } else if (++entry.missed_rounds >= max_missed) {
      dropped.push_back(entry.status.node_id);
    }
  }
  for (std::uint32_t id : dropped) remove(id);
  return dropped;
}

}  // namespace funnel::topology
