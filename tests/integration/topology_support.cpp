// Helpers for the topology tests: per-node command counts, pausing and killing the test's own
// servers, and the primary + replicas + Funnel fixture.
#include "topology_support.hpp"

#include <sys/wait.h>

#include <stdexcept>

namespace funnel::test {
namespace {

std::string info_section(std::uint16_t port, const std::string& section) {
  RespConnection direct(port);
  return direct.command({"INFO", section}).str;
}

}  // namespace

std::int64_t command_calls(std::uint16_t port, std::string_view command) {
  const std::string text = info_section(port, "commandstats");
  const std::string field = "cmdstat_" + std::string(command) + ":calls=";
  const std::size_t at = text.find(field);
  if (at == std::string::npos) return 0;
  return std::stoll(text.substr(at + field.size()));
}

std::int64_t command_calls(const std::vector<std::uint16_t>& ports, std::string_view command) {
  std::int64_t sum = 0;
  for (std::uint16_t port : ports) sum += command_calls(port, command);
  return sum;
}

void reset_stats(std::uint16_t port) {
  RespConnection direct(port);
  const resp::Value reply = direct.command({"CONFIG", "RESETSTAT"});
  if (reply.str != "OK") throw std::runtime_error("CONFIG RESETSTAT: " + reply.str);
}

std::int64_t dbsize(std::uint16_t port) {
  RespConnection direct(port);
  return direct.command({"DBSIZE"}).integer;
}

Paused::Paused(pid_t pid) : pid_(pid) {
  if (::kill(pid_, SIGSTOP) != 0) throw_errno("SIGSTOP");
}

Paused::~Paused() {
  resume();
}

void Paused::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
  pid_ = -1;
}

void kill_hard(RedisServer& server) {
  if (server.pid() > 0) ::kill(server.pid(), SIGKILL);
  server.stop();
}

resp::Value get_on_fresh_connection(std::uint16_t funnel_port, const std::string& key) {
  try {
    RespConnection connection(funnel_port, std::chrono::seconds(3));
    return connection.command({"GET", key});
  } catch (const std::exception& error) {
    resp::Value failed;
    failed.type = resp::ValueType::kError;
    failed.str = std::string("test: ") + error.what();
    return failed;
  }
}

void TopologyFixture::start_nodes(int replica_count) {
  primary_ = RedisServer::start();
  for (int i = 0; i < replica_count; ++i) {
    replicas_.push_back(RedisServer::start_replica_of(primary_->port()));
  }
}

void TopologyFixture::start_funnel(std::vector<std::string> extra_args) {
  std::vector<std::string> args = {"--backend", backend_arg(primary_->port())};
  for (const auto& replica : replicas_) {
    args.insert(args.end(), {"--replica", backend_arg(replica->port())});
  }
  args.insert(args.end(), {"--workers", "2", "--health-interval-ms", "100"});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  funnel_ = FunnelProcess::start(args);
}

void TopologyFixture::TearDown() {
  if (funnel_) {
    const int status = funnel_->stop();
    EXPECT_EQ(status, 0) << "funnel did not exit cleanly; its log:\n" << funnel_->log_text();
  }
}

std::vector<std::uint16_t> TopologyFixture::replica_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& replica : replicas_) {
    if (replica->running()) ports.push_back(replica->port());
  }
  return ports;
}

std::vector<std::uint16_t> TopologyFixture::all_ports() const {
  std::vector<std::uint16_t> ports = {primary_->port()};
  for (std::uint16_t port : replica_ports()) ports.push_back(port);
  return ports;
}

void TopologyFixture::reset_all_stats() const {
  for (std::uint16_t port : all_ports()) reset_stats(port);
}

void TopologyFixture::write_keys(const std::string& prefix, int count) const {
  RespConnection direct(primary_->port());
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    direct.send_command({"SET", prefix + ":" + n, "value:" + n});
  }
  for (int i = 0; i < count; ++i) {
    const resp::Value reply = direct.read_value();
    if (reply.str != "OK") throw std::runtime_error("SET: " + reply.str);
  }
  for (std::uint16_t port : replica_ports()) {
    const bool synced = wait_until([&] { return dbsize(port) >= dbsize(primary_->port()); });
    if (!synced) throw std::runtime_error("replica " + std::to_string(port) + " did not sync");
  }
}

bool TopologyFixture::wait_for_replica_reads() const {
  const std::vector<std::uint16_t> replicas = replica_ports();
  const bool served = wait_until(
      [&] {
        const std::int64_t before = command_calls(replicas, "get");
        get_on_fresh_connection(funnel_->port(), "topology:probe");
        return command_calls(replicas, "get") > before;
      },
      std::chrono::seconds(10));
  reset_all_stats();
  return served;
}

}  // namespace funnel::test
