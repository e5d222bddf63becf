// CLUSTER answered as a one-node, all-slots cluster (see cluster_face.hpp). Shapes follow
// redis-server 7.0.15's replies for such a node (clusterReplyShards, addNodeReplyForClusterSlot,
// clusterGenNodeDescription, CLUSTER INFO's fields), with Funnel's address and id in them.
#include "plan/cluster_face.hpp"

#include <array>

#include "command/ascii.hpp"
#include "resp/writer.hpp"
#include "routing/key_slot.hpp"

namespace funnel::plan {
namespace {

constexpr std::string_view kLastSlot = "16383";

// FNV-1a 64 with a different basis per 16-hex block: stable and spread, not a secret.
std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string_view cluster_info_text() {
  return "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"
         "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\n"
         "cluster_size:1\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n"
         "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
         "total_cluster_links_buffer_limit_exceeded:0\r\n";
}

// Redis's node line; Funnel has no cluster bus, so its bus port is 0.
std::string nodes_line(const ClusterAddress& address) {
  return cluster_node_id(address) + " " + std::string(address.host) + ":" +
         std::to_string(address.port) + "@0 myself,master - 0 0 0 connected 0-" +
         std::string(kLastSlot) + "\n";
}

void write_slots(resp::ReplyWriter& w, const ClusterAddress& address) {
  w.array_header(1);
  w.array_header(3);
  w.integer(0);
  w.integer(routing::kSlotCount - 1);
  w.array_header(4);
  w.bulk(address.host);
  w.integer(address.port);
  w.bulk(cluster_node_id(address));
  w.map_header(0);  // no hostname: Redis's empty metadata map
}

void write_shards(resp::ReplyWriter& w, const ClusterAddress& address) {
  w.array_header(1);
  w.map_header(2);
  w.bulk("slots");
  w.array_header(2);
  w.integer(0);
  w.integer(routing::kSlotCount - 1);
  w.bulk("nodes");
  w.array_header(1);
  w.map_header(7);
  w.bulk("id");
  w.bulk(cluster_node_id(address));
  w.bulk("port");
  w.integer(address.port);
  w.bulk("ip");
  w.bulk(address.host);
  w.bulk("endpoint");
  w.bulk(address.host);
  w.bulk("role");
  w.bulk("master");
  w.bulk("replication-offset");
  w.integer(0);
  w.bulk("health");
  w.bulk("online");
}

std::string upper(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = command::ascii_upper(c);
  return result;
}

Plan refuse(std::string_view sub, std::string_view why, std::string& scratch) {
  scratch = "ERR funnel: CLUSTER " + upper(sub) + " is refused: " + std::string(why);
  return Plan::error(scratch);
}

// CLUSTER <sub> after classify() resolved it (arity checked, unknown ones rejected).
Plan cluster_subcommand(std::string_view sub, const resp::Request& request, resp::Protocol protocol,
                        const ClusterAddress& address, std::string& scratch) {
  scratch.clear();
  resp::ReplyWriter w(scratch, protocol);
  if (sub == "slots") {
    write_slots(w, address);
  } else if (sub == "shards") {
    write_shards(w, address);
  } else if (sub == "info") {
    w.verbatim("txt", cluster_info_text());
  } else if (sub == "nodes") {
    w.verbatim("txt", nodes_line(address));
  } else if (sub == "myid") {
    w.bulk(cluster_node_id(address));
  } else if (sub == "keyslot") {
    w.integer(routing::key_slot(request.arg(2)));
  } else if (sub == "countkeysinslot" || sub == "getkeysinslot") {
    return refuse(sub, "Funnel shows the cluster as one node; ask the cluster's nodes directly",
                  scratch);
  } else {
    return refuse(sub,
                  "Funnel shows the cluster as one node and manages no slots; run it against "
                  "the cluster's nodes directly",
                  scratch);
  }
  return Plan::reply(scratch);
}

}  // namespace

std::string cluster_node_id(const ClusterAddress& address) {
  const std::string text = std::string(address.host) + ":" + std::to_string(address.port);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (std::uint64_t basis :
       {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x9e3779b97f4a7c15ull}) {
    std::uint64_t h = fnv1a(text, basis);
    for (int i = 0; i < 16 && id.size() < 40; ++i, h >>= 4) id.push_back(kHex[h & 0xf]);
  }
  return id;
}

bool plan_cluster_face(const command::Classification& cls, const resp::Request& request,
                       resp::Protocol protocol, const ClusterAddress& address, std::string& scratch,
                       Plan& out) {
  if (cls.spec == nullptr) return false;
  const std::string_view name = cls.spec->name;
  if (name == "readonly" || name == "readwrite" || name == "asking") {
    out = Plan::reply("+OK\r\n");
    return true;
  }
  // CLUSTER HELP is forwarded: the node's own text, harmless.
  if (!name.starts_with("cluster|") || name == "cluster|help") return false;
  out = cluster_subcommand(name.substr(8), request, protocol, address, scratch);
  return true;
}

}  // namespace funnel::plan
