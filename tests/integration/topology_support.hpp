// Helpers for the topology tests (issue #5): a primary with replicas on loopback ports, Funnel in
// front of them through its documented flags, and what each node says about the commands it ran
// (INFO commandstats), which is how the tests see where Funnel sent a command.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace funnel::test {

// calls=N of cmdstat_<command> in the node's INFO commandstats (0 when it never ran).
std::int64_t command_calls(std::uint16_t port, std::string_view command);
// The same summed over several nodes.
std::int64_t command_calls(const std::vector<std::uint16_t>& ports, std::string_view command);
// CONFIG RESETSTAT on the node: commandstats start again from zero.
void reset_stats(std::uint16_t port);
// DBSIZE of the node.
std::int64_t dbsize(std::uint16_t port);

// SIGSTOP to a process the test started; SIGCONT when the guard goes (also on a failed ASSERT),
// so the fixture can stop the server normally.
class Paused {
 public:
  explicit Paused(pid_t pid);
  ~Paused();
  void resume();
  Paused(const Paused&) = delete;
  Paused& operator=(const Paused&) = delete;

 private:
  pid_t pid_;
};

// SIGKILL to a server the test started, then reaps it (stop() on the dead process).
void kill_hard(RedisServer& server);

// One GET through a fresh connection to Funnel; the reply, or an error value whose text says why
// (refused, timeout) so callers can treat it like any error reply.
resp::Value get_on_fresh_connection(std::uint16_t funnel_port, const std::string& key);

// A primary and `replica_count` replicas of it, Funnel started with --backend and one --replica
// per replica plus the test's flags, and health checks every 100 ms so that changes show quickly.
class TopologyFixture : public ::testing::Test {
 protected:
  void start_nodes(int replica_count);
  void start_funnel(std::vector<std::string> extra_args);
  void TearDown() override;

  std::vector<std::uint16_t> replica_ports() const;
  std::vector<std::uint16_t> all_ports() const;  // primary first
  void reset_all_stats() const;
  // Writes `count` keys `prefix:<i>` = `value:<i>` straight to the primary (pipelined) and waits
  // until every running replica has them.
  void write_keys(const std::string& prefix, int count) const;
  // Waits until a read through Funnel lands on a replica (Funnel has seen them healthy), then
  // resets every node's stats. False on timeout.
  bool wait_for_replica_reads() const;

  std::unique_ptr<RedisServer> primary_;
  std::vector<std::unique_ptr<RedisServer>> replicas_;
  std::unique_ptr<FunnelProcess> funnel_;
};

}  // namespace funnel::test
