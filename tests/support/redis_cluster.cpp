// Test fixtures (funnel::test): RedisCluster, see redis_cluster.hpp.
#include "support/redis_cluster.hpp"

#include <stdexcept>

#include "support/child_process.hpp"
#include "support/net.hpp"
#include "support/resp_connection.hpp"
#include "support/wait.hpp"

namespace funnel::test {
namespace {

bool cluster_ok(std::uint16_t port) {
  try {
    RespConnection conn(port, std::chrono::seconds(2));
    const resp::Value reply = conn.command({"CLUSTER", "INFO"});
    return reply.as_string().value_or("").find("cluster_state:ok") != std::string_view::npos;
  } catch (const std::exception&) {
    return false;
  }
}

// The primary port serving each slot, as `port` reports it (CLUSTER SLOTS); 0 where none.
std::vector<std::uint16_t> slot_owners(std::uint16_t port) {
  std::vector<std::uint16_t> owners(16384, 0);
  RespConnection conn(port, std::chrono::seconds(2));
  const resp::Value reply = conn.command({"CLUSTER", "SLOTS"});
  for (const resp::Value& range : reply.elems) {
    if (range.elems.size() < 3 || range.elems[2].elems.size() < 2) continue;
    const auto owner = static_cast<std::uint16_t>(range.elems[2].elems[1].integer);
    for (auto slot = range.elems[0].integer; slot <= range.elems[1].integer; ++slot) {
      owners[static_cast<std::size_t>(slot)] = owner == 0 ? port : owner;
    }
  }
  return owners;
}

std::string role_of(std::uint16_t port) {
  RespConnection conn(port, std::chrono::seconds(2));
  const resp::Value reply = conn.command({"ROLE"});
  if (reply.elems.empty()) return {};
  return std::string(reply.elems[0].as_string().value_or(""));
}

}  // namespace

std::vector<std::string> cluster_node_args() {
  return {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
          "--cluster-node-timeout", "2000",
          // Replicas answer reads at once; a lone shard's loss does not stop the others.
          "--cluster-require-full-coverage", "no"};
}

std::unique_ptr<RedisCluster> RedisCluster::start(int primaries, int replicas_per_primary) {
  std::unique_ptr<RedisCluster> cluster(new RedisCluster());
  const int total = primaries * (1 + replicas_per_primary);
  for (int i = 0; i < total; ++i)
    cluster->nodes_.push_back(RedisServer::start(cluster_node_args()));
  cluster->create(replicas_per_primary);
  return cluster;
}

std::unique_ptr<RedisCluster> RedisCluster::start_single() {
  std::unique_ptr<RedisCluster> cluster(new RedisCluster());
  cluster->nodes_.push_back(RedisServer::start(cluster_node_args()));
  RespConnection conn(cluster->port(0));
  const resp::Value reply = conn.command({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"});
  if (reply.is_error()) throw std::runtime_error("CLUSTER ADDSLOTSRANGE: " + reply.str);
  if (!cluster->wait_converged()) throw std::runtime_error("one-node cluster did not become ok");
  return cluster;
}

void RedisCluster::create(int replicas_per_primary) {
  std::vector<std::string> argv{"redis-cli", "--cluster", "create"};
  for (const auto& node : nodes_) argv.push_back("127.0.0.1:" + std::to_string(node->port()));
  argv.insert(argv.end(),
              {"--cluster-replicas", std::to_string(replicas_per_primary), "--cluster-yes"});
  const std::string log = dir_.file("create.log");
  ChildProcess cli(argv, log);
  const bool exited = wait_until([&] { return !cli.alive(); }, std::chrono::seconds(60));
  if (!exited || cli.exit_status().value_or(1) != 0) {
    throw std::runtime_error("redis-cli --cluster create failed:\n" + read_file(log));
  }
  if (!wait_converged()) {
    throw std::runtime_error("the cluster did not converge in 30 s:\n" + read_file(log));
  }
}

bool RedisCluster::wait_converged(std::chrono::milliseconds timeout) const {
  return wait_until(
      [&] {
        std::vector<std::uint16_t> reference;
        for (const auto& node : nodes_) {
          if (!node->running()) continue;
          if (!cluster_ok(node->port())) return false;
          try {
            const std::vector<std::uint16_t> owners = slot_owners(node->port());
            for (std::uint16_t owner : owners) {
              if (owner == 0) return false;
            }
            if (reference.empty()) reference = owners;
            if (owners != reference) return false;
          } catch (const std::exception&) {
            return false;
          }
        }
        return true;
      },
      timeout);
}

std::vector<std::uint16_t> RedisCluster::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& node : nodes_) out.push_back(node->port());
  return out;
}

std::uint16_t RedisCluster::primary_port_for_slot(std::uint16_t slot) const {
  for (const auto& node : nodes_) {
    if (node->running()) return slot_owners(node->port())[slot];
  }
  return 0;
}

std::vector<std::uint16_t> RedisCluster::primary_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& node : nodes_) {
    if (node->running() && role_of(node->port()) == "master") out.push_back(node->port());
  }
  return out;
}

std::vector<std::uint16_t> RedisCluster::replica_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& node : nodes_) {
    if (node->running() && role_of(node->port()) == "slave") out.push_back(node->port());
  }
  return out;
}

}  // namespace funnel::test
