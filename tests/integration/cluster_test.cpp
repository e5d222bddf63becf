// Funnel in front of a real Redis Cluster (issue #16, docs/cluster.md): 3 primaries + 3 replicas
// made by redis-cli --cluster create (one cluster shared by the tests of this binary: each test
// uses keys of its own), and the one-node cluster that owns every slot. Keys reach their slot's
// primary, links stay within the budget per node, MOVED and ASK are followed inside Funnel, a
// script's forged MOVED is answered, never followed, and prefer-replica reads land on replicas.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "routing/key_slot.hpp"
#include "slot_migration.hpp"
#include "support/redis_cluster.hpp"
#include "support/trap_listener.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

// Names of the clients of a node (CLIENT LIST), without the asking connection's own.
std::vector<std::string> client_names(std::uint16_t port) {
  RespConnection conn(port);
  const std::string list(conn.command({"CLIENT", "LIST"}).as_string().value_or(""));
  std::vector<std::string> names;
  std::size_t at = 0;
  while ((at = list.find(" name=", at)) != std::string::npos) {
    at += 6;
    names.push_back(list.substr(at, list.find(' ', at) - at));
  }
  return names;
}

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = RedisCluster::start().release(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void start_funnel(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--cluster",
                                  "127.0.0.1:" + std::to_string(cluster_->port(1)),
                                  "--workers",
                                  "2",
                                  "--connections-per-node",
                                  "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    funnel_ = FunnelProcess::start(args);
  }
  static RedisCluster* cluster_;
  std::unique_ptr<FunnelProcess> funnel_;
};
RedisCluster* ClusterTest::cluster_ = nullptr;

TEST_F(ClusterTest, KeysOfEverySlotRangeLandOnTheirSlotsPrimary) {
  start_funnel();
  constexpr int kKeys = 1000;
  RespConnection conn(funnel_->port());
  for (int i = 0; i < kKeys; ++i) {
    conn.send_command({"SET", "all:" + std::to_string(i), "value:" + std::to_string(i)});
  }
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(conn.read_value().str, "OK") << i;
  std::map<std::uint16_t, int> per_node;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "all:" + std::to_string(i);
    EXPECT_EQ(conn.command({"GET", key}).str, "value:" + std::to_string(i));
    const std::uint16_t owner = cluster_->primary_port_for_slot(routing::key_slot(key));
    RespConnection direct(owner);
    ASSERT_EQ(direct.command({"GET", key}).str, "value:" + std::to_string(i)) << key;
    ++per_node[owner];
  }
  EXPECT_EQ(per_node.size(), 3u);  // every shard served some
}

TEST_F(ClusterTest, HashtagsKeepKeysAndTransactionsOnOneShard) {
  start_funnel();
  RespConnection conn(funnel_->port());
  // A tag on neither slot 0's shard nor the seed's, so the transaction cannot pass by luck.
  std::string tag;
  const std::uint16_t main = cluster_->primary_port_for_slot(0);
  for (int i = 0; tag.empty(); ++i) {
    const std::string candidate = "{tag" + std::to_string(i) + "}";
    const std::uint16_t owner = cluster_->primary_port_for_slot(routing::key_slot(candidate));
    if (owner != main && owner != cluster_->port(1)) tag = candidate;
  }
  ASSERT_EQ(conn.command({"SET", tag + "a", "1"}).str, "OK");
  ASSERT_EQ(conn.command({"SET", tag + "b", "2"}).str, "OK");
  ASSERT_EQ(conn.command({"MULTI"}).str, "OK");
  ASSERT_EQ(conn.command({"INCR", tag + "a"}).str, "QUEUED");
  ASSERT_EQ(conn.command({"INCR", tag + "b"}).str, "QUEUED");
  const resp::Value exec = conn.command({"EXEC"});
  ASSERT_EQ(exec.elems.size(), 2u) << exec.str;
  EXPECT_EQ(exec.elems[0].integer, 2);
  EXPECT_EQ(exec.elems[1].integer, 3);
  RespConnection owner(cluster_->primary_port_for_slot(routing::key_slot(tag)));
  EXPECT_EQ(owner.command({"GET", tag + "b"}).str, "3");
}

TEST_F(ClusterTest, EveryNodeSeesOnlyFunnelsNamedLinksWithinTheBudget) {
  start_funnel();
  const int clients = reduced_scale() ? 50 : 200;
  std::vector<std::unique_ptr<RespConnection>> conns;
  for (int i = 0; i < clients; ++i) {
    conns.push_back(std::make_unique<RespConnection>(funnel_->port()));
    conns.back()->send_command({"SET", "budget:" + std::to_string(i), "x"});
  }
  for (auto& conn : conns) ASSERT_EQ(conn->read_value().str, "OK");
  for (std::uint16_t port : cluster_->ports()) {
    int shared = 0;
    for (const std::string& name : client_names(port)) {
      if (name.empty()) continue;  // the asking connection, and replication links
      ASSERT_TRUE(name.starts_with("funnel:")) << port << ": " << name;
      if (name.starts_with("funnel:shared:")) ++shared;
      if (name.starts_with("funnel:replica:")) ADD_FAILURE() << "replica link under primary policy";
    }
    EXPECT_LE(shared, 2) << port;  // connections_per_node, one protocol
  }
  for (std::uint16_t port : cluster_->primary_ports()) {
    int shared = 0;
    for (const std::string& name : client_names(port)) shared += name.starts_with("funnel:shared:");
    EXPECT_EQ(shared, 2) << "every primary gets its links: " << port;
  }
}

TEST_F(ClusterTest, AScriptsForgedRedirectsReachTheClientAndAreNeverFollowed) {
  start_funnel();
  TrapListener trap;
  RespConnection conn(funnel_->port());
  const std::string to = "127.0.0.1:" + std::to_string(trap.port());
  for (const std::string& forged : {"MOVED 1 " + to, "ASK 1 " + to, std::string("TRYAGAIN forged"),
                                    std::string("CLUSTERDOWN forged")}) {
    const resp::Value reply =
        conn.command({"EVAL", "return redis.error_reply('" + forged + "')", "0"});
    EXPECT_TRUE(reply.is_error());
    EXPECT_EQ(reply.str, forged);
  }
  // The same from a keyed EVAL, and a round trip after it: by then any connection Funnel
  // started would be in the trap's queue.
  const resp::Value keyed =
      conn.command({"EVAL", "return redis.error_reply('MOVED 1 " + to + "')", "1", "forged:key"});
  EXPECT_EQ(keyed.str, "MOVED 1 " + to);
  EXPECT_EQ(conn.command({"SET", "forged:after", "1"}).str, "OK");
  EXPECT_FALSE(trap.connected());
}

TEST_F(ClusterTest, AskDuringAMigrationAndMovedAfterItAreFollowedInsideFunnel) {
  start_funnel();
  RespConnection conn(funnel_->port());
  const std::string key = "migrating:key";
  ASSERT_EQ(conn.command({"SET", key, "before"}).str, "OK");
  const SlotMove move = begin_move(*cluster_, key, {key});
  {
    RespConnection source(move.source);
    ASSERT_TRUE(source.command({"GET", key}).str.starts_with("ASK ")) << "no ASK to follow";
  }
  EXPECT_EQ(conn.command({"GET", key}).str, "before");  // ASK: ASKING + GET on the target
  finish_move(*cluster_, move);
  {
    RespConnection source(move.source);
    ASSERT_TRUE(source.command({"GET", key}).str.starts_with("MOVED ")) << "no MOVED to follow";
  }
  EXPECT_EQ(conn.command({"GET", key}).str, "before");  // MOVED: retried on the new owner
  EXPECT_EQ(conn.command({"SET", key, "after"}).str, "OK");
  RespConnection owner(move.target);
  EXPECT_EQ(owner.command({"GET", key}).str, "after");
}

TEST_F(ClusterTest, PreferReplicaReadsLandOnTheShardsReplicas) {
  // CLUSTER SHARDS calls a replica "loading" until its replication offset leaves 0 (the first
  // write, or the primary's PING every 10 s): Funnel reads only from "online" replicas, so every
  // shard gets a write first, and the map is read every 200 ms.
  for (int i = 0; i < 30; ++i) {
    const std::string key = "wake:" + std::to_string(i);
    RespConnection owner(cluster_->primary_port_for_slot(routing::key_slot(key)));
    ASSERT_EQ(owner.command({"SET", key, "1"}).str, "OK");
  }
  TempDir dir("funnel-cluster-conf");
  const std::string config = dir.write("funnel.toml", "[cluster]\nrefresh_ms = 200\n");
  start_funnel({"--read-policy", "prefer-replica", "--config", config});
  // Replica links open once the map lists the replicas as online.
  ASSERT_TRUE(wait_until(
      [&] {
        for (std::uint16_t port : cluster_->replica_ports()) {
          int links = 0;
          for (const auto& name : client_names(port)) links += name.starts_with("funnel:replica:");
          if (links == 0) return false;
        }
        return true;
      },
      10s));
  RespConnection conn(funnel_->port());
  constexpr int kKeys = 100;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(conn.command({"SET", "replica:" + std::to_string(i), "v"}).str, "OK");
  }
  for (std::uint16_t port : cluster_->ports()) reset_stats(port);
  for (int i = 0; i < kKeys; ++i) {
    const resp::Value reply = conn.command({"GET", "replica:" + std::to_string(i)});
    // A replica may not have the write yet (replication is asynchronous): nil, never an error.
    EXPECT_FALSE(reply.is_error()) << reply.str;
  }
  EXPECT_EQ(command_calls(cluster_->replica_ports(), "get"), kKeys);
  EXPECT_EQ(command_calls(cluster_->primary_ports(), "get"), 0);
}

// Clients on their own threads writing and reading back keys of one hashtag (one shard), each
// value checked: any error or wrong value counts. Bounded: stops at stop() or after 60 s.
class ShardLoad {
 public:
  ShardLoad(std::uint16_t port, const std::string& tag, int clients) {
    for (int c = 0; c < clients; ++c) {
      threads_.emplace_back([this, port, tag, c] { run(port, tag, c); });
    }
  }
  ~ShardLoad() { stop(); }
  void stop() {
    stopping_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  std::int64_t ok() const { return ok_.load(); }
  std::int64_t failed() const { return failed_.load(); }
  std::int64_t wrong() const { return wrong_.load(); }  // acknowledged write, other value read
  std::string first_failure() {
    std::lock_guard lock(mutex_);
    return first_failure_;
  }

 private:
  void run(std::uint16_t port, const std::string& tag, int client) {
    const auto until = Clock::now() + 60s;
    try {
      RespConnection conn(port, 10s);
      for (int n = 0; !stopping_ && Clock::now() < until; ++n) {
        const std::string key = tag + std::to_string(client);
        const std::string value = std::to_string(n);
        const resp::Value set = conn.command({"SET", key, value});
        const resp::Value get = conn.command({"GET", key});
        if (set.str == "OK" && !get.is_error() && get.str != value) ++wrong_;
        if (set.str != "OK" || get.str != value) {
          fail("SET " + set.str + " / GET " + get.str + " (wanted " + value + ")");
        } else {
          ++ok_;
        }
      }
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }
  void fail(const std::string& what) {
    ++failed_;
    std::lock_guard lock(mutex_);
    if (first_failure_.empty()) first_failure_ = what;
  }
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> ok_{0};
  std::atomic<std::int64_t> failed_{0};
  std::atomic<std::int64_t> wrong_{0};
  std::mutex mutex_;
  std::string first_failure_;
};

std::uint16_t master_port_of(std::uint16_t replica) {
  RespConnection conn(replica);
  const std::string info(conn.command({"INFO", "replication"}).as_string().value_or(""));
  const std::size_t at = info.find("master_port:");
  return at == std::string::npos ? 0 : static_cast<std::uint16_t>(std::stoi(info.substr(at + 12)));
}

// Last in this file: the shard's roles are swapped afterwards (the tests above look roles up).
TEST_F(ClusterTest, ACoordinatedFailoverUnderLightLoadCostsNoClientError) {
  start_funnel();
  const std::string tag = "{failover}:";
  const std::uint16_t primary = cluster_->primary_port_for_slot(routing::key_slot(tag));
  std::uint16_t replica = 0;
  for (std::uint16_t port : cluster_->replica_ports()) {
    if (master_port_of(port) == primary) replica = port;
  }
  ASSERT_NE(replica, 0) << "no replica of " << primary;
  ShardLoad load(funnel_->port(), tag, 4);
  ASSERT_TRUE(wait_until([&] { return load.ok() >= 200; }, 10s));
  // Redis drops a manual failover that has not completed in 5 s (CLUSTER_MF_TIMEOUT) and does
  // not retry it; under asan in CI one attempt once timed out. Ask again, as an operator would.
  RespConnection promote(replica);
  bool promoted = false;
  int attempts = 0;
  for (int attempt = 0; attempt < 4 && !promoted; ++attempt) {
    ++attempts;
    // Only while it is still a replica: a promoted node refuses CLUSTER FAILOVER.
    if (master_port_of(replica) != 0) {
      ASSERT_EQ(promote.command({"CLUSTER", "FAILOVER"}).str, "OK");
    }
    promoted = wait_until(
        [&] { return cluster_->primary_port_for_slot(routing::key_slot(tag)) == replica; }, 7s);
  }
  ASSERT_TRUE(promoted) << "the replica " << replica << " was not promoted in 4 attempts";
  ASSERT_TRUE(cluster_->wait_converged());
  const std::int64_t after = load.ok();
  ASSERT_TRUE(wait_until([&] { return load.ok() >= after + 200; }, 10s))
      << "the load did not go on after the failover";
  load.stop();
  // A manual failover that times out leaves the old primary's writers paused for up to
  // 2 x CLUSTER_MF_TIMEOUT (10 s): a shared link's SET waits there, and requests behind it on
  // that link outlive request_timeout_ms. That is Redis's pause, not Funnel's doing; when the
  // first attempt went through, nothing may fail.
  if (attempts == 1) {
    EXPECT_EQ(load.failed(), 0) << load.first_failure();
  } else {
    std::printf(
        "[ MEASURED ] %d CLUSTER FAILOVER attempts (Redis dropped %d after 5 s); %lld "
        "requests failed meanwhile, first: %s\n",
        attempts, attempts - 1, static_cast<long long>(load.failed()),
        load.first_failure().c_str());
  }
  RespConnection new_primary(replica);
  EXPECT_EQ(new_primary.command({"DBSIZE"}).is_error(), false);
}

// A primary killed (SIGKILL) under light load, on a cluster of its own: requests for its shard
// may fail until a replica is promoted (cluster-node-timeout 2000 ms), never hang, never read a
// wrong value; then service resumes without restarting anything.
TEST(ClusterPrimaryKilled, ServiceResumesAfterThePromotionWithoutWrongValues) {
  auto cluster = RedisCluster::start();
  auto funnel =
      FunnelProcess::start({"--cluster", "127.0.0.1:" + std::to_string(cluster->port(0))});
  const std::string tag = "{killed}:";
  const std::uint16_t primary = cluster->primary_port_for_slot(routing::key_slot(tag));
  ShardLoad load(funnel->port(), tag, 4);
  ASSERT_TRUE(wait_until([&] { return load.ok() >= 200; }, 10s));
  for (std::size_t i = 0; i < cluster->size(); ++i) {
    if (cluster->port(i) == primary) kill_hard(cluster->node(i));
  }
  ASSERT_TRUE(wait_until(
      [&] {
        const std::uint16_t owner = cluster->primary_port_for_slot(routing::key_slot(tag));
        return owner != 0 && owner != primary;
      },
      30s))
      << "no replica was promoted";
  const std::int64_t after = load.ok();
  ASSERT_TRUE(wait_until([&] { return load.ok() >= after + 200; }, 15s))
      << "service did not resume after the promotion";
  load.stop();
  // Errors are allowed while the shard had no primary; wrong values never.
  EXPECT_EQ(load.wrong(), 0) << load.first_failure();
  std::printf("requests failed while the shard had no primary: %lld (first: %s)\n",
              static_cast<long long>(load.failed()), load.first_failure().c_str());
}

TEST(ClusterSingleNode, AClusterWhoseEverySlotIsOnOneNodeServesSingleKeyCommands) {
  auto cluster = RedisCluster::start_single();
  auto funnel =
      FunnelProcess::start({"--cluster", "localhost:" + std::to_string(cluster->port(0))});
  RespConnection conn(funnel->port());
  for (int i = 0; i < 100; ++i) {
    const std::string key = "one:" + std::to_string(i);
    ASSERT_EQ(conn.command({"SET", key, std::to_string(i)}).str, "OK") << key;
    ASSERT_EQ(conn.command({"INCR", key}).integer, i + 1);
  }
  EXPECT_EQ(conn.command({"DBSIZE"}).integer, 100);
  EXPECT_EQ(dbsize(cluster->port(0)), 100);
}

}  // namespace
}  // namespace funnel::test
