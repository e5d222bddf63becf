// Test fixtures (funnel::test): a real redis-sentinel on a free loopback port, with its own temp
// dir and config file, monitoring one master. Started and stopped by PID, like RedisServer.
//
// Facts learnt from redis-sentinel 7.0 that the helpers rely on:
// - Sentinel learns a master's replicas from the master's INFO: at once when it connects, then
//   every 10 s. Start replicas (RedisServer::start_replica_of) BEFORE the sentinel and
//   wait_for_replicas(n) returns in well under a second; a replica added later takes up to 10 s.
// - SENTINEL get-master-addr-by-name answers [ip, port] (both bulk strings), or null for an
//   unknown name; SENTINEL replicas <unknown> answers "-ERR No such master with that name".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "resp/value.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace funnel::test {

struct SentinelOptions {
  std::string master_name = "mymaster";
  unsigned quorum = 1;
  // Small so CI stays fast: a killed primary is declared down after this long.
  unsigned down_after_ms = 1000;
  // Also bounds how soon Sentinel may retry a failover of the same master (2x this).
  unsigned failover_timeout_ms = 3000;
  // requirepass for the sentinel itself (clients must AUTH); empty: none.
  std::string requirepass;
  // Extra lines for the config file, e.g. "sentinel auth-pass mymaster secret".
  std::vector<std::string> extra_config;
};

class RedisSentinel {
 public:
  // Starts redis-sentinel on a free 127.0.0.1 port monitoring 127.0.0.1:primary_port, with
  // "sentinel resolve-hostnames no". Returns once it answers PING and knows the master (deadline
  // 10 s); throws with its log otherwise.
  static std::unique_ptr<RedisSentinel> start(std::uint16_t primary_port,
                                              SentinelOptions options = {});
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& master_name() const { return options_.master_name; }
  // The running process's PID, or -1 after stop().
  pid_t pid() const;
  bool running() const;
  // SIGTERM to this sentinel's PID, waits for it to exit (SIGKILL after 10 s). Idempotent.
  void stop();
  // Everything redis-sentinel wrote (its log file).
  std::string log() const;
  const std::string& dir() const { return dir_.path(); }

  // One command on a fresh connection (AUTH first when requirepass is set). Throws on I/O errors.
  resp::Value command(const std::vector<std::string>& args) const;
  // SENTINEL get-master-addr-by-name: the master's port as Sentinel names it (0 if unknown).
  std::uint16_t master_port() const;
  // SENTINEL replicas: ports of the replicas Sentinel could promote now: flags without s_down,
  // o_down, disconnected, and Sentinel has read the replica's own INFO (master-link-status ok,
  // info-refresh under 5 s).
  std::vector<std::uint16_t> healthy_replica_ports() const;
  // SENTINEL FAILOVER <master>: forces a failover without the master being down. Throws on an
  // error reply (e.g. "-NOGOODSLAVE No suitable replica to promote").
  void failover() const;

  // Waits until Sentinel lists at least n healthy replicas. False on timeout.
  bool wait_for_replicas(std::size_t n,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Waits until SENTINEL get-master-addr-by-name names port. False on timeout.
  bool wait_for_master_port(std::uint16_t port,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Waits until Sentinel knows n other sentinels for the master (several sentinels with quorum
  // > 1 find each other through the master's __sentinel__:hello channel, every 2 s).
  bool wait_for_other_sentinels(std::size_t n,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  RedisSentinel(std::uint16_t primary_port, SentinelOptions options);
  bool try_start(std::uint16_t port);  // false if the process exited before answering PING

  TempDir dir_{"funnel-sentinel"};
  std::uint16_t primary_port_;
  SentinelOptions options_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace funnel::test
