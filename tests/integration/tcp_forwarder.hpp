// A loopback TCP forwarder that stands for a DNS name or load-balanced endpoint whose target
// changes: existing connections stay with the old target, new ones go to the new target. That is
// what an ElastiCache primary endpoint does on failover, reproduced without touching DNS.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace funnel::test {

class TcpForwarder {
 public:
  explicit TcpForwarder(std::uint16_t target_port);
  ~TcpForwarder();
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  std::uint16_t port() const { return port_; }
  // New connections go to target_port from now on.
  void set_target(std::uint16_t target_port) { target_.store(target_port); }
  int connections_accepted() const { return accepted_.load(); }
  // While paused, bytes wait in the kernel's socket buffers instead of being relayed, in both
  // directions: a replica replicating through the forwarder falls behind its primary, yet keeps
  // serving reads (a delayed replication link, for read-your-writes tests).
  void set_paused(bool paused) { paused_.store(paused); }

 private:
  void accept_loop();
  void relay(int client_fd, int server_fd);

  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<std::uint16_t> target_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> paused_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> relays_;
};

}  // namespace funnel::test
