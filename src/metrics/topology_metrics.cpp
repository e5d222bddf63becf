// Prometheus series and JSON for the topology (issue #5, docs/topology.md): each node's role,
// health, replication lag, and the reads Funnel routed to it.
#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "metrics/exposition.hpp"
#include "metrics/text_format.hpp"

namespace funnel::metrics {
namespace {

std::uint64_t reads_routed(const ExpositionInput& in, std::uint32_t node_id) {
  if (node_id >= kMaxNodes) return 0;
  std::uint64_t total = 0;
  for (const WorkerMetrics* w : in.worker_metrics) total += w->reads_by_node[node_id].read();
  return total;
}

// Reads routed to replicas, summed per availability zone (issue #19): how much of the read
// traffic stays in Funnel's zone. Nodes with no known zone count under zone="".
void render_zone_reads(std::string& out, const ExpositionInput& in) {
  std::vector<std::pair<const NodeState*, std::uint64_t>> zones;  // first node of each zone
  for (const NodeState& node : in.nodes) {
    auto same = [&](const auto& z) { return z.first->zone == node.zone; };
    auto it = std::find_if(zones.begin(), zones.end(), same);
    if (it == zones.end()) it = zones.insert(zones.end(), {&node, 0});
    it->second += reads_routed(in, node.node_id);
  }
  constexpr std::string_view kName = "funnel_zone_reads_total";
  header(out, kName, "counter",
         "Read-only requests routed to replicas, by the replicas' availability zone (local=1: "
         "Funnel's own zone, server.zone).");
  for (const auto& [node, reads] : zones) {
    sample(out, kName,
           fmt::format("zone=\"{}\",local=\"{}\"", escape(node->zone), node->local_zone ? 1 : 0),
           static_cast<double>(reads));
  }
}

std::uint64_t sum(const ExpositionInput& in, const Counter WorkerMetrics::*member) {
  return sum_counter(in, member);
}

}  // namespace

void render_topology_metrics(std::string& out, const ExpositionInput& in) {
  const auto per_node = [&](std::string_view name, std::string_view type, std::string_view help,
                            auto&& value_of) {
    if (in.nodes.empty()) return;  // a single node: funnel_backend_* describe it
    header(out, name, type, help);
    for (const NodeState& node : in.nodes) {
      sample(out, name, fmt::format("node=\"{}\",role=\"{}\"", escape(node.address), node.role),
             static_cast<double>(value_of(node)));
    }
  };
  per_node("funnel_node_up", "gauge", "1 while the node answers the topology health checks.",
           [](const NodeState& n) { return n.reachable ? 1 : 0; });
  per_node("funnel_node_readable", "gauge",
           "1 while the replica is in the read set (healthy, in sync, within max_replica_lag).",
           [](const NodeState& n) { return n.readable ? 1 : 0; });
  per_node("funnel_node_replication_lag_bytes", "gauge",
           "Replication offset behind the primary, at the last health check.",
           [](const NodeState& n) { return n.lag_bytes; });
  per_node("funnel_node_replication_offset", "gauge", "Last polled replication offset.",
           [](const NodeState& n) { return n.offset; });
  per_node("funnel_node_reads_total", "counter", "Read-only requests routed to the replica.",
           [&](const NodeState& n) { return reads_routed(in, n.node_id); });
  if (!in.nodes.empty()) render_zone_reads(out, in);
  const auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    header(out, name, "counter", help);
    sample(out, name, "", static_cast<double>(value));
  };
  counter("funnel_reads_on_primary_total",
          "Reads a replica read policy sent to the primary (no replica healthy or caught up).",
          sum(in, &WorkerMetrics::reads_on_primary));
  counter("funnel_reads_refused_total",
          "Reads refused because read_policy = replica and no replica was healthy.",
          sum(in, &WorkerMetrics::reads_refused));
  counter("funnel_read_retries_total",
          "Reads a replica failed (or could not take) and Funnel sent to another node.",
          sum(in, &WorkerMetrics::read_retries));
  counter("funnel_failovers_total", "Primary changes observed since start.", in.failovers);
}

std::string nodes_json(const ExpositionInput& in) {
  std::string out = "[";
  for (std::size_t i = 0; i < in.nodes.size(); ++i) {
    const NodeState& n = in.nodes[i];
    fmt::format_to(
        std::back_inserter(out),
        "{}{{\"address\":\"{}\",\"role\":\"{}\",\"up\":{},\"readable\":{},"
        "\"offset\":{},\"lag_bytes\":{},\"reads\":{},\"reason\":\"{}\",\"zone\":\"{}\"}}",
        i ? "," : "", escape(n.address), n.role, n.reachable, n.readable, n.offset, n.lag_bytes,
        reads_routed(in, n.node_id), escape(n.reason), escape(n.zone));
  }
  out += "]";
  return out;
}

}  // namespace funnel::metrics
