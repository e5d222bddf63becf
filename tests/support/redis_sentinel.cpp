// Test fixtures (funnel::test): RedisSentinel, see redis_sentinel.hpp.
#include "support/redis_sentinel.hpp"

#include <signal.h>

#include <fstream>
#include <stdexcept>

#include "support/net.hpp"
#include "support/resp_connection.hpp"
#include "support/wait.hpp"

namespace funnel::test {
namespace {

// A Sentinel answers SENTINEL replicas with a map (RESP3) or a flat array (RESP2) per replica.
std::string field(const resp::Value& entry, std::string_view key) {
  const resp::Value* value = entry.find(key);
  if (value == nullptr) return {};
  return std::string(value->as_string().value_or(""));
}

bool flags_healthy(const std::string& flags) {
  return flags.find("s_down") == std::string::npos && flags.find("o_down") == std::string::npos &&
         flags.find("disconnected") == std::string::npos;
}

}  // namespace

RedisSentinel::RedisSentinel(std::uint16_t primary_port, SentinelOptions options)
    : primary_port_(primary_port), options_(std::move(options)) {}

RedisSentinel::~RedisSentinel() {
  stop();
}

std::unique_ptr<RedisSentinel> RedisSentinel::start(std::uint16_t primary_port,
                                                    SentinelOptions options) {
  std::unique_ptr<RedisSentinel> sentinel(new RedisSentinel(primary_port, std::move(options)));
  RedisSentinel* raw = sentinel.get();
  if (!retry_with_free_port([raw](std::uint16_t port) { return raw->try_start(port); })) {
    throw std::runtime_error("RedisSentinel: redis-sentinel did not start; its log:\n" +
                             sentinel->log());
  }
  return sentinel;
}

bool RedisSentinel::try_start(std::uint16_t port) {
  const std::string& name = options_.master_name;
  const std::string config_path = dir_.file("sentinel.conf");
  {
    // Sentinel rewrites its config file (it must be writable), so each start writes it afresh.
    std::ofstream out(config_path, std::ios::trunc);
    out << "port " << port << "\nbind 127.0.0.1\ndir " << dir_.path() << "\n"
        << "sentinel resolve-hostnames no\n"
        << "sentinel monitor " << name << " 127.0.0.1 " << primary_port_ << " " << options_.quorum
        << "\n"
        << "sentinel down-after-milliseconds " << name << " " << options_.down_after_ms << "\n"
        << "sentinel failover-timeout " << name << " " << options_.failover_timeout_ms << "\n"
        << "sentinel parallel-syncs " << name << " 1\n";
    if (!options_.requirepass.empty()) out << "requirepass " << options_.requirepass << "\n";
    for (const auto& line : options_.extra_config) out << line << "\n";
    if (!out) throw std::runtime_error("RedisSentinel: cannot write " + config_path);
  }
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{"redis-sentinel", config_path},
                                            dir_.file("sentinel.log"));
  port_ = port;
  bool ready = wait_until(
      [&] {
        if (!process_->alive()) return true;
        if (!answers_ping(port)) return false;
        try {
          return master_port() != 0;
        } catch (const std::exception&) {
          return false;
        }
      },
      10s);
  if (ready && process_->alive()) return true;
  process_->stop(SIGKILL);
  return false;
}

pid_t RedisSentinel::pid() const {
  return running() ? process_->pid() : -1;
}

bool RedisSentinel::running() const {
  return process_ && process_->alive();
}

void RedisSentinel::stop() {
  if (process_) process_->stop(SIGTERM);
}

std::string RedisSentinel::log() const {
  return read_file(dir_.file("sentinel.log"));
}

resp::Value RedisSentinel::command(const std::vector<std::string>& args) const {
  RespConnection conn(port_);
  if (!options_.requirepass.empty()) {
    resp::Value auth = conn.command({"AUTH", options_.requirepass});
    if (auth.is_error()) throw std::runtime_error("RedisSentinel: AUTH refused: " + auth.str);
  }
  return conn.command(args);
}

std::uint16_t RedisSentinel::master_port() const {
  resp::Value reply = command({"SENTINEL", "get-master-addr-by-name", options_.master_name});
  if (reply.type != resp::ValueType::kArray || reply.elems.size() != 2) return 0;
  const std::string port(reply.elems[1].as_string().value_or("0"));
  return static_cast<std::uint16_t>(std::stoul(port));
}

std::vector<std::uint16_t> RedisSentinel::healthy_replica_ports() const {
  resp::Value reply = command({"SENTINEL", "replicas", options_.master_name});
  std::vector<std::uint16_t> ports;
  if (reply.type != resp::ValueType::kArray) return ports;
  for (const resp::Value& entry : reply.elems) {
    if (!flags_healthy(field(entry, "flags"))) continue;
    // Sentinel lists a replica from the master's INFO before it has heard the replica itself;
    // until then SENTINEL FAILOVER refuses it (-NOGOODSLAVE). Its own INFO sets these fields.
    if (field(entry, "master-link-status") != "ok") continue;
    const std::string refreshed = field(entry, "info-refresh");
    if (refreshed.empty() || std::stoll(refreshed) > 5000) continue;
    const std::string port = field(entry, "port");
    if (!port.empty()) ports.push_back(static_cast<std::uint16_t>(std::stoul(port)));
  }
  return ports;
}

void RedisSentinel::failover() const {
  resp::Value reply = command({"SENTINEL", "failover", options_.master_name});
  if (reply.is_error()) throw std::runtime_error("RedisSentinel: SENTINEL FAILOVER: " + reply.str);
}

bool RedisSentinel::wait_for_replicas(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return healthy_replica_ports().size() >= n; }, timeout);
}

bool RedisSentinel::wait_for_master_port(std::uint16_t port,
                                         std::chrono::milliseconds timeout) const {
  return wait_until([&] { return master_port() == port; }, timeout);
}

bool RedisSentinel::wait_for_other_sentinels(std::size_t n,
                                             std::chrono::milliseconds timeout) const {
  return wait_until(
      [&] {
        resp::Value reply = command({"SENTINEL", "sentinels", options_.master_name});
        return reply.type == resp::ValueType::kArray && reply.elems.size() >= n;
      },
      timeout);
}

}  // namespace funnel::test
