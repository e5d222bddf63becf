// Read replicas through the funnel binary (issue #5, docs/topology.md): where reads and writes
// land (each node's INFO commandstats), replicas killed, paused or all gone under steady reads,
// the read policies' fallbacks and error, SCAN cursors kept on their node, and topology flags
// that Funnel refuses at start. Real redis-server primary and replicas on loopback ports.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "routing/read_router.hpp"
#include "tcp_forwarder.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

using TopologyTest = TopologyFixture;

// Clients on their own threads, each GETting keys written before the test and checking every
// value: any error or wrong value during the test counts as a failed read.
class ReadLoad {
 public:
  ReadLoad(std::uint16_t port, int clients, std::string prefix, int keys) {
    for (int c = 0; c < clients; ++c) {
      threads_.emplace_back([this, port, prefix, keys, c] { run(port, prefix, keys, c); });
    }
  }
  ~ReadLoad() { stop(); }
  void stop() {
    stopping_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  std::int64_t ok() const { return ok_.load(); }
  std::int64_t failed() const { return failed_.load(); }
  std::string samples() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& sample : samples_) out += "\n  " + sample;
    return out;
  }

 private:
  void fail(const std::string& what) {
    ++failed_;
    std::lock_guard lock(mutex_);
    if (samples_.size() < 10) samples_.push_back(what);
  }
  void run(std::uint16_t port, const std::string& prefix, int keys, int client) {
    std::unique_ptr<RespConnection> connection;
    for (int i = client; !stopping_ && i < 10'000'000; ++i) {
      const std::string n = std::to_string(i % keys);
      try {
        if (!connection) connection = std::make_unique<RespConnection>(port, 3s);
        const resp::Value reply = connection->command({"GET", prefix + ":" + n});
        if (reply.str == "value:" + n) {
          ++ok_;
        } else {
          fail("GET " + prefix + ":" + n + " -> " + reply.str);
        }
      } catch (const std::exception& error) {
        fail(std::string("connection: ") + error.what());
        connection.reset();
      }
    }
  }

  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> ok_{0};
  std::atomic<std::int64_t> failed_{0};
  std::mutex mutex_;
  std::vector<std::string> samples_;
  std::vector<std::thread> threads_;
};

// Which of `ports` ran one more GET after `action` (-1: none or several).
template <typename Action>
int node_that_served(const std::vector<std::uint16_t>& ports, Action&& action) {
  std::vector<std::int64_t> before;
  for (std::uint16_t port : ports) before.push_back(command_calls(port, "get"));
  action();
  int served = -1;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (command_calls(ports[i], "get") == before[i]) continue;
    if (served >= 0) return -1;
    served = static_cast<int>(i);
  }
  return served;
}

// The failover hold with a static topology (backend.failover_hold_ms, docs/topology.md#failover):
// a replica could be promoted, so the primary's links going down is an expected failover. Two
// Funnels on the same nodes, hold 0 and hold 10 s: a write sent to each while the primary is
// down fails at once on the first (the old behaviour, which proves the write arrived while the
// primary was down) and waits on the second until the primary is back, then succeeds.
TEST_F(TopologyTest, WriteWhileThePrimaryIsDownWaitsForItWithTheHold) {
  start_nodes(1);
  std::vector<std::string> args = {"--backend",
                                   backend_arg(primary_->port()),
                                   "--replica",
                                   backend_arg(replicas_[0]->port()),
                                   "--workers",
                                   "1",
                                   "--request-timeout-ms",
                                   "10000"};
  auto with_hold = args;
  with_hold.insert(with_hold.end(), {"--failover-hold-ms", "10000"});
  args.insert(args.end(), {"--failover-hold-ms", "0"});
  auto fail_fast = FunnelProcess::start(args);
  auto holding = FunnelProcess::start(with_hold);
  RespConnection fast_client(fail_fast->port(), 15s);
  RespConnection held_client(holding->port(), 15s);
  ASSERT_EQ(fast_client.command({"SET", "k", "1"}).str, "OK");
  ASSERT_EQ(held_client.command({"SET", "k", "1"}).str, "OK");
  primary_->stop();
  // Both have seen their link go down and fail to reconnect.
  ASSERT_TRUE(wait_until(
      [&] {
        return fail_fast->log_text().find("funnel:shared:resp2:db0:0 down:") != std::string::npos &&
               holding->log_text().find("funnel:shared:resp2:db0:0 down:") != std::string::npos;
      },
      10s))
      << holding->log_text();
  fast_client.send_command({"SET", "k", "2"});
  held_client.send_command({"SET", "k", "2"});
  const resp::Value fast = fast_client.read_value();
  EXPECT_TRUE(fast.is_error()) << "the write did not arrive while the primary was down: "
                               << fast.str;
  primary_->restart();
  const resp::Value held = held_client.read_value();
  EXPECT_EQ(held.str, "OK") << (held.is_error() ? held.str : "") << "\n" << holding->log_text();
}

TEST_F(TopologyTest, PrimaryPolicyKeepsEveryCommandOnThePrimary) {
  start_nodes(1);
  write_keys("p", 10);
  start_funnel({});  // read_policy defaults to primary
  reset_all_stats();
  RespConnection client(funnel_->port());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(client.command({"GET", "p:" + std::to_string(i % 10)}).str,
              "value:" + std::to_string(i % 10));
  }
  EXPECT_EQ(command_calls(primary_->port(), "get"), 50);
  EXPECT_EQ(command_calls(replica_ports(), "get"), 0);
}

// With fewer links per node than workers, a worker without a replica link of its own hands its
// reads to the owner's link and gets the replies back (as for the primary): every reply still
// reaches its own client, and each replica sees exactly its budget.
TEST_F(TopologyTest, ReplicaReadsCrossWorkersWhenLinksAreFewerThanWorkers) {
  start_nodes(1);
  start_funnel({"--read-policy", "replica", "--connections-per-node", "1"});
  ASSERT_TRUE(wait_for_replica_reads()) << funnel_->log_text();
  RespConnection writer(funnel_->port());
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(writer.command({"SET", "cross:" + std::to_string(i), std::to_string(i)}).str, "OK");
  }
  ASSERT_TRUE(wait_until([&] { return dbsize(replica_ports()[0]) == 50; }));
  constexpr int kClients = 8;  // spread over both workers by the kernel's SO_REUSEPORT hash
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int c = 0; c < kClients; ++c) {
    readers.emplace_back([&] {
      RespConnection reader(funnel_->port());
      for (int i = 0; i < 50; ++i) reader.send_command({"GET", "cross:" + std::to_string(i)});
      for (int i = 0; i < 50; ++i) wrong += reader.read_value().str != std::to_string(i);
    });
  }
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(command_calls(replica_ports(), "get"), kClients * 50);
  const auto names = funnel_link_names(replica_ports()[0]);
  EXPECT_EQ(count_prefix(names, "funnel:replica:resp2:db0:"), 1u);
  EXPECT_EQ(count_prefix(names, "funnel:shared:"), 0u);
}

TEST_F(TopologyTest, ReadsLandOnReplicasAndWritesOnThePrimary) {
  start_nodes(2);
  start_funnel({"--read-policy", "prefer-replica"});
  ASSERT_TRUE(wait_for_replica_reads()) << funnel_->log_text();

  RespConnection writer(funnel_->port());
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_EQ(writer.command({"SET", "rw:" + n, "value:" + n}).str, "OK");
  }
  for (std::uint16_t port : replica_ports()) {
    ASSERT_TRUE(wait_until([&] { return dbsize(port) == 100; }));
  }
  // Concurrent pipelining readers, so that least-outstanding balancing has something to see.
  constexpr int kReaders = 8;
  constexpr int kDepth = 100;
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      RespConnection reader(funnel_->port());
      for (int i = 0; i < kDepth; ++i) reader.send_command({"GET", "rw:" + std::to_string(i)});
      for (int i = 0; i < kDepth; ++i) {
        if (reader.read_value().str != "value:" + std::to_string(i)) ++wrong;
      }
    });
  }
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(wrong.load(), 0);

  EXPECT_EQ(command_calls(primary_->port(), "set"), 100);
  EXPECT_EQ(command_calls(primary_->port(), "get"), 0);
  EXPECT_EQ(command_calls(replica_ports(), "get"), kReaders * kDepth);
  for (std::uint16_t port : replica_ports()) {
    RespConnection direct(port);
    EXPECT_EQ(direct.command({"INFO", "errorstats"}).str.find("READONLY"), std::string::npos)
        << "a write reached replica " << port;
    const std::int64_t gets = command_calls(port, "get");
    std::printf("replica %u served %lld of %d reads\n", port, static_cast<long long>(gets),
                kReaders * kDepth);
    EXPECT_GT(gets, 0) << "reads were not balanced across the replicas";
  }
}

TEST_F(TopologyTest, KilledReplicaUnderSteadyReadLoadFailsNoRead) {
  start_nodes(2);
  write_keys("steady", 100);
  start_funnel({"--read-policy", "prefer-replica"});
  ASSERT_TRUE(wait_for_replica_reads()) << funnel_->log_text();

  ReadLoad load(funnel_->port(), 4, "steady", 100);
  ASSERT_TRUE(wait_until([&] { return load.ok() >= 200; })) << load.samples();
  // Kill the replica serving the most reads, while they are in flight.
  const std::uint16_t a = replicas_[0]->port();
  const std::uint16_t b = replicas_[1]->port();
  const std::size_t victim = command_calls(a, "get") >= command_calls(b, "get") ? 0 : 1;
  const std::uint16_t survivor = replicas_[1 - victim]->port();
  kill_hard(*replicas_[victim]);
  const std::int64_t at_kill = load.ok();
  const auto killed_at = Clock::now();
  EXPECT_TRUE(wait_until(
      [&] { return load.ok() >= at_kill + 2000 && Clock::now() - killed_at >= 1s; }, 15s))
      << load.samples();
  load.stop();
  EXPECT_EQ(load.failed(), 0) << "failed reads:" << load.samples() << "\nfunnel log:\n"
                              << funnel_->log_text();
  std::printf("reads: %lld ok, %lld after the kill; survivor %lld, primary %lld\n",
              static_cast<long long>(load.ok()), static_cast<long long>(load.ok() - at_kill),
              static_cast<long long>(command_calls(survivor, "get")),
              static_cast<long long>(command_calls(primary_->port(), "get")));
  EXPECT_GT(command_calls(survivor, "get"), 0);
}

TEST_F(TopologyTest, AllReplicasDownPreferReplicaReadsFromThePrimary) {
  start_nodes(2);
  write_keys("fallback", 10);
  start_funnel({"--read-policy", "prefer-replica"});
  ASSERT_TRUE(wait_for_replica_reads()) << funnel_->log_text();
  for (auto& replica : replicas_) replica->stop();

  // Until Funnel notices, a read may fail on a replica that just went; then the primary serves.
  EXPECT_TRUE(wait_until([&] {
    return get_on_fresh_connection(funnel_->port(), "fallback:1").str == "value:1";
  })) << funnel_->log_text();
  const std::int64_t before = command_calls(primary_->port(), "get");
  RespConnection client(funnel_->port());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(client.command({"GET", "fallback:" + std::to_string(i % 10)}).str,
              "value:" + std::to_string(i % 10));
  }
  EXPECT_EQ(command_calls(primary_->port(), "get"), before + 50);
}

TEST_F(TopologyTest, AllReplicasDownReplicaPolicyGivesTheClearError) {
  start_nodes(1);
  write_keys("only", 10);
  start_funnel({"--read-policy", "replica"});
  ASSERT_TRUE(wait_for_replica_reads()) << funnel_->log_text();
  replicas_[0]->stop();

  const std::string expected(routing::kNoHealthyReplica);
  resp::Value reply;
  EXPECT_TRUE(wait_until([&] {
    reply = get_on_fresh_connection(funnel_->port(), "only:1");
    return reply.is_error() && reply.str == expected;
  })) << "last reply: "
      << reply.str;
  EXPECT_EQ(command_calls(primary_->port(), "get"), 0) << "replica policy read the primary";
  RespConnection client(funnel_->port());
  EXPECT_EQ(client.command({"SET", "only:new", "1"}).str, "OK");  // writes are unaffected
}

TEST_F(TopologyTest, PausedReplicaLeavesTheReadSetAndComesBack) {
  start_nodes(2);
  write_keys("pause", 10);
  start_funnel({"--read-policy", "replica", "--request-timeout-ms", "1000"});
  ASSERT_TRUE(wait_for_replica_reads()) << funnel_->log_text();
  const std::vector<std::uint16_t> ports = replica_ports();
  const auto probe = [&] { get_on_fresh_connection(funnel_->port(), "pause:1"); };
  const int serving = node_that_served(ports, probe);
  ASSERT_GE(serving, 0);
  const std::uint16_t other = ports[1 - serving];

  {
    Paused paused(replicas_[static_cast<std::size_t>(serving)]->pid());
    // Within a few health intervals every read goes to the other replica, and keeps doing so.
    EXPECT_TRUE(wait_until(
        [&] {
          const std::int64_t before = command_calls(other, "get");
          for (int i = 0; i < 5; ++i) {
            if (get_on_fresh_connection(funnel_->port(), "pause:1").str != "value:1") return false;
          }
          return command_calls(other, "get") == before + 5;
        },
        10s))
        << funnel_->log_text();
    const std::int64_t before = command_calls(other, "get");
    for (int i = 0; i < 30; ++i) {
      EXPECT_EQ(get_on_fresh_connection(funnel_->port(), "pause:2").str, "value:2");
    }
    EXPECT_EQ(command_calls(other, "get"), before + 30);
  }
  // Resumed: healthy again, it is back in the read set (an idle Funnel picks the first replica).
  EXPECT_TRUE(wait_until([&] { return node_that_served(ports, probe) == serving; }, 10s));
}

TEST_F(TopologyTest, ScanThroughPreferReplicaReturnsEveryKeyExactlyOnce) {
  constexpr int kKeys = 1000;
  start_nodes(3);
  write_keys("scan", kKeys);
  start_funnel({"--read-policy", "prefer-replica"});
  ASSERT_TRUE(wait_for_replica_reads()) << funnel_->log_text();

  RespConnection client(funnel_->port());
  std::map<std::string, int> seen;
  std::string cursor = "0";
  int calls = 0;
  int scanning = -1;
  for (; calls < 10 * kKeys; ++calls) {
    const resp::Value reply = client.command({"SCAN", cursor, "COUNT", "10"});
    ASSERT_EQ(reply.elems.size(), 2u) << reply.str;
    cursor = reply.elems[0].str;
    for (const resp::Value& key : reply.elems[1].elems) ++seen[key.str];
    if (calls == 0) {
      for (std::size_t r = 0; r < replicas_.size(); ++r) {
        if (command_calls(replicas_[r]->port(), "scan") > 0) scanning = static_cast<int>(r);
      }
      ASSERT_GE(scanning, 0) << "the first SCAN did not go to a replica";
    }
    // A health change mid-scan (another replica dies) must not move the cursor's node.
    if (calls == 5) kill_hard(*replicas_[static_cast<std::size_t>((scanning + 1) % 3)]);
    // Reads between the calls spread the scan over several health intervals.
    for (int i = 0; i < 10; ++i) {
      const std::string n = std::to_string((calls * 10 + i) % kKeys);
      ASSERT_EQ(client.command({"GET", "scan:" + n}).str, "value:" + n);
    }
    if (cursor == "0") break;
  }
  ++calls;
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kKeys));
  int repeated = 0;
  for (const auto& [key, count] : seen) repeated += count != 1;
  EXPECT_EQ(repeated, 0) << "keys returned more than once";
  EXPECT_EQ(command_calls(replicas_[static_cast<std::size_t>(scanning)]->port(), "scan"), calls)
      << "a SCAN continuation left the node that issued the cursor";
}

// The ElastiCache shape: Funnel is given only a seed standing for the reader endpoint (a name that
// answers one replica at a time); it must find the primary for writes and every replica for reads,
// and keep them when the seed later answers with another replica.
TEST_F(TopologyTest, DiscoveryFromAReaderEndpointFindsThePrimaryAndTheReplicas) {
  start_nodes(2);
  TcpForwarder reader_endpoint(replicas_[0]->port());
  funnel_ =
      FunnelProcess::start({"--discover", backend_arg(reader_endpoint.port()), "--read-policy",
                            "replica", "--workers", "2", "--health-interval-ms", "100"});
  ASSERT_TRUE(wait_until([&] {
    return get_on_fresh_connection(funnel_->port(), "seed").type == resp::ValueType::kNull;
  })) << funnel_->log_text();
  RespConnection client(funnel_->port());
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_EQ(client.command({"SET", "found:" + n, "value:" + n}).str, "OK");  // on the primary
  }
  for (std::uint16_t port : replica_ports()) {
    ASSERT_TRUE(wait_until([&] { return dbsize(port) == 20; }));
  }
  reader_endpoint.set_target(replicas_[1]->port());  // the round-robin name answers differently
  reset_all_stats();
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i % 20);
    EXPECT_EQ(get_on_fresh_connection(funnel_->port(), "found:" + n).str, "value:" + n);
  }
  EXPECT_EQ(command_calls(primary_->port(), "get"), 0);
  EXPECT_EQ(command_calls(replica_ports(), "get"), 50);
  EXPECT_EQ(client.command({"SET", "found:last", "1"}).str, "OK");
}

// Topology flags Funnel refuses: it exits with status 2 and says what to do.
TEST(TopologyConfigErrors, FunnelRefusesToStartAndSaysWhy) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--backend", "127.0.0.1:1", "--read-policy", "replica"}, "needs replicas"},
      {{"--sentinel", "127.0.0.1:1"}, "needs the master name the sentinels monitor"},
      {{"--backend", "127.0.0.1:1", "--discover", "127.0.0.1:2"}, "give one source"},
      {{"--backend", "127.0.0.1:1", "--read-your-writes", "always"},
       "--read-your-writes=always: use one of off, client, process"},
      {{"--replica", "127.0.0.1:2"}, "there is no primary"},
  };
  TempDir dir("funnel-topology-config");
  int n = 0;
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv = {FunnelProcess::binary_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = dir.file("funnel-" + std::to_string(n++) + ".log");
    ChildProcess funnel(argv, log);
    ASSERT_TRUE(wait_until([&] { return !funnel.alive(); })) << message;
    EXPECT_EQ(funnel.exit_status(), 2) << message;
    EXPECT_NE(read_file(log).find(message), std::string::npos) << read_file(log);
  }
}

}  // namespace
}  // namespace funnel::test
