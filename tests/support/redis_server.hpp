// Test fixtures (funnel::test): a real redis-server on a free loopback port, with its own temp
// dir and log, for integration tests. Started and stopped by PID; nothing is persisted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace funnel::test {

class RedisServer {
 public:
  // Starts redis-server on a free 127.0.0.1 port (another port if it loses the port to a race)
  // with --save '' --appendonly no --daemonize no --dir <own temp dir>, plus extra_args (e.g.
  // {"--requirepass", "secret"}). Returns once it answers PING; throws with its log otherwise
  // (deadline 10 s). DEBUG is enabled for local connections (DEBUG SLEEP makes a slow backend).
  static std::unique_ptr<RedisServer> start(std::vector<std::string> extra_args = {});
  // A replica of the server on primary_port; returns once its link to the primary is up.
  static std::unique_ptr<RedisServer> start_replica_of(std::uint16_t primary_port,
                                                       std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  // The running process's PID, or -1 after stop().
  pid_t pid() const;
  bool running() const;
  // SIGTERM to this server's PID, waits for it to exit (SIGKILL after 10 s). Idempotent.
  void stop();
  // stop() if running, then start again on the same port and dir (data is empty again: nothing
  // is persisted). Throws if the port was taken meanwhile.
  void restart();
  // Everything redis-server wrote to stdout/stderr (all runs).
  std::string log() const;
  const std::string& dir() const { return dir_.path(); }
  // Waits (deadline 10 s) until INFO replication shows master_link_status:up.
  void wait_for_primary_link() const;

 private:
  RedisServer(std::vector<std::string> extra_args);
  bool try_start(std::uint16_t port);  // false if the process exited before answering PING

  TempDir dir_{"funnel-redis"};
  std::vector<std::string> extra_args_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace funnel::test
