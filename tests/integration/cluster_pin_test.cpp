// Pinned links per shard in front of a real 3+3 Redis Cluster (issue #16, docs/cluster.md): WATCH
// and blocking commands take their dedicated link from the shard that owns their key, whichever
// shard it is; across shards a pinned client gets what a client connected to the pinned node gets
// from Redis (MOVED, CROSSSLOT, EXECABORT), and a slot that moves while pinned refreshes the map.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "routing/key_slot.hpp"
#include "support/http_get.hpp"
#include "support/redis_cluster.hpp"
#include "support/temp_dir.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

std::int64_t blocked_clients(std::uint16_t port) {
  RespConnection conn(port);
  const std::string info(conn.command({"INFO", "clients"}).as_string().value_or(""));
  const std::size_t at = info.find("blocked_clients:");
  return at == std::string::npos ? -1 : std::stoll(info.substr(at + 16));
}

class ClusterPin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = RedisCluster::start().release(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    funnel_ = FunnelProcess::start(
        {"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)), "--workers", "2"});
  }
  // A key named `prefix`N owned by each primary, in primary_ports() order.
  static std::vector<std::pair<std::uint16_t, std::string>> key_per_shard(
      const std::string& prefix) {
    std::vector<std::pair<std::uint16_t, std::string>> keys;
    for (std::uint16_t port : cluster_->primary_ports()) {
      for (int i = 0;; ++i) {
        const std::string key = prefix + std::to_string(i);
        if (cluster_->primary_port_for_slot(routing::key_slot(key)) == port) {
          keys.emplace_back(port, key);
          break;
        }
      }
    }
    return keys;
  }
  static RedisCluster* cluster_;
  std::unique_ptr<FunnelProcess> funnel_;
};
RedisCluster* ClusterPin::cluster_ = nullptr;

// Issue #16 item 8: in cluster mode the pinned-link gauges carry the node (its address as the
// map lists it), so an operator sees which shard's pinned links are used: a WATCH on a key of each
// shard leases one link on that shard's primary.
TEST_F(ClusterPin, PinnedGaugesCarryTheNodeOfEachShard) {
  ASSERT_EQ(funnel_->stop(), 0);
  std::uint16_t admin = 0;
  funnel_ = retry_with_free_port([&](std::uint16_t port) -> std::unique_ptr<FunnelProcess> {
    admin = port;
    try {
      return FunnelProcess::start({"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)),
                                   "--workers", "2", "--admin",
                                   "127.0.0.1:" + std::to_string(port)});
    } catch (const std::exception&) {
      return nullptr;  // the admin port was taken meanwhile: another
    }
  });
  ASSERT_TRUE(funnel_);
  const auto keys = key_per_shard("gauge:");
  std::vector<std::unique_ptr<RespConnection>> watchers;
  for (const auto& [port, key] : keys) {
    watchers.push_back(std::make_unique<RespConnection>(funnel_->port()));
    ASSERT_EQ(watchers.back()->command({"WATCH", key}).str, "OK");
  }
  const auto series = [](const char* name, std::uint16_t port, int value) {
    return std::string(name) + "{node=\"127.0.0.1:" + std::to_string(port) + "\"} " +
           std::to_string(value) + "\n";
  };
  const HttpReply first = http_get(admin, "/metrics");
  std::string text = first.body;
  ASSERT_EQ(first.status, 200) << first.headers << funnel_->log_text();
  for (const auto& [port, key] : keys) {
    EXPECT_NE(text.find(series("funnel_pinned_links_leased", port, 1)), std::string::npos) << text;
    EXPECT_NE(text.find(series("funnel_pinned_links_open", port, 1)), std::string::npos) << port;
    EXPECT_NE(text.find(series("funnel_pinned_waiting_clients", port, 0)), std::string::npos);
  }
  // Released: the link stays open (clean, for reuse), leased by no one.
  ASSERT_EQ(watchers[1]->command({"UNWATCH"}).str, "OK");
  const std::uint16_t released = keys[1].first;
  ASSERT_TRUE(wait_until([&] {
    text = http_get(admin, "/metrics").body;
    return text.find(series("funnel_pinned_links_leased", released, 0)) != std::string::npos;
  })) << text;
  EXPECT_NE(text.find(series("funnel_pinned_links_open", released, 1)), std::string::npos);
  EXPECT_NE(text.find(series("funnel_pinned_links_leased", keys[0].first, 1)), std::string::npos);
}

TEST_F(ClusterPin, BlockingPopOnEveryShardIsWokenByAPushFromAnotherClient) {
  for (const auto& [port, key] : key_per_shard("blpop:")) {
    RespConnection waiter(funnel_->port(), 10s);
    RespConnection pusher(funnel_->port());
    const std::int64_t blocked_before = blocked_clients(port);
    waiter.send_command({"BLPOP", key, "5"});
    ASSERT_TRUE(wait_until([&] { return blocked_clients(port) > blocked_before; }, 5s))
        << "BLPOP " << key << " never blocked on its shard's primary " << port;
    EXPECT_EQ(pusher.command({"LPUSH", key, "woken"}).integer, 1);
    const resp::Value popped = waiter.read_value();
    ASSERT_EQ(popped.elems.size(), 2u) << key << ": " << popped.str;
    EXPECT_EQ(popped.elems[0].str, key);
    EXPECT_EQ(popped.elems[1].str, "woken");
  }
}

TEST_F(ClusterPin, BlockingTimeoutsOnEveryShardAnswerAsOneRedis) {
  for (const auto& [port, key] : key_per_shard("timeout:")) {
    RespConnection conn(funnel_->port(), 10s);
    const auto started = Clock::now();
    const resp::Value reply = conn.command({"BLPOP", key, "0.2"});
    EXPECT_TRUE(reply.is_null()) << key << ": " << reply.str;
    EXPECT_GE(Clock::now() - started, 190ms);
    const resp::Value move = conn.command({"BLMOVE", key, key, "LEFT", "RIGHT", "0.1"});
    EXPECT_TRUE(move.is_null()) << key << ": " << move.str;
    EXPECT_EQ(conn.command({"PING"}).str, "PONG");  // unpinned again
  }
}

TEST_F(ClusterPin, WatchMultiExecRunsOnEveryShardAndFailsWhenTheKeyIsTouched) {
  for (const auto& [port, key] : key_per_shard("watch:")) {
    RespConnection conn(funnel_->port());
    ASSERT_EQ(conn.command({"SET", key, "0"}).str, "OK");
    ASSERT_EQ(conn.command({"WATCH", key}).str, "OK") << key;
    ASSERT_EQ(conn.command({"GET", key}).str, "0");
    ASSERT_EQ(conn.command({"MULTI"}).str, "OK");
    ASSERT_EQ(conn.command({"SET", key, "1"}).str, "QUEUED");
    const resp::Value done = conn.command({"EXEC"});
    ASSERT_EQ(done.elems.size(), 1u) << key << ": " << done.str;
    EXPECT_EQ(done.elems[0].str, "OK");
    // Touched by another client between WATCH and EXEC: EXEC answers nil, nothing runs.
    RespConnection other(funnel_->port());
    ASSERT_EQ(conn.command({"WATCH", key}).str, "OK");
    ASSERT_EQ(other.command({"SET", key, "touched"}).str, "OK");
    ASSERT_EQ(conn.command({"MULTI"}).str, "OK");
    ASSERT_EQ(conn.command({"SET", key, "2"}).str, "QUEUED");
    EXPECT_TRUE(conn.command({"EXEC"}).is_null()) << key;
    RespConnection owner(port);
    EXPECT_EQ(owner.command({"GET", key}).str, "touched");
  }
}

// What a client connected to the pinned node gets from Redis itself (checked against
// redis-server 7.0): another shard's key is MOVED (not followed: the client's WATCH lives on this
// node), keys of two slots are CROSSSLOT, and a MULTI holding a MOVED answers EXECABORT.
TEST_F(ClusterPin, APinnedClientNamingAnotherShardsKeyGetsWhatRedisGives) {
  const auto keys = key_per_shard("across:");
  RespConnection conn(funnel_->port());
  ASSERT_EQ(conn.command({"WATCH", keys[0].second}).str, "OK");
  const resp::Value moved = conn.command({"GET", keys[1].second});
  EXPECT_TRUE(moved.is_error() && moved.str.starts_with("MOVED ")) << moved.str;
  const resp::Value cross = conn.command({"WATCH", keys[0].second, keys[2].second});
  EXPECT_EQ(cross.str, "CROSSSLOT Keys in request don't hash to the same slot");
  ASSERT_EQ(conn.command({"MULTI"}).str, "OK");
  EXPECT_TRUE(conn.command({"SET", keys[2].second, "x"}).str.starts_with("MOVED "));
  EXPECT_TRUE(conn.command({"EXEC"}).str.starts_with("EXECABORT"));
  // Unpinned again: every shard's key is served.
  for (const auto& [port, key] : keys) EXPECT_EQ(conn.command({"SET", key, "y"}).str, "OK");
}

// A script's MOVED is followed only when a map read after it proves the node refused before
// running it (routing/unsafe_redirect.hpp). Funnel's map is kept stale (refresh_ms 60 s) while
// the key's empty slot moves to another shard (SETSLOT NODE on every primary): the script goes
// to the old owner, which answers MOVED; the map read that follows shows the new owner, and the
// script runs there once.
TEST_F(ClusterPin, AScriptWhoseSlotJustMovedRunsOnTheNewOwnerOnce) {
  TempDir dir("funnel-cluster-pin");
  funnel_ = FunnelProcess::start({"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)),
                                  "--config",
                                  dir.write("funnel.toml", "[cluster]\nrefresh_ms = 60000\n")});
  const auto keys = key_per_shard("script-moved:");
  const std::string key = keys[0].second;
  RespConnection conn(funnel_->port());
  ASSERT_EQ(conn.command({"PING"}).str, "PONG");
  RespConnection target(keys[1].first);
  const std::string to_id(target.command({"CLUSTER", "MYID"}).as_string().value_or(""));
  for (std::uint16_t port : cluster_->primary_ports()) {
    RespConnection node(port);
    ASSERT_EQ(
        node.command({"CLUSTER", "SETSLOT", std::to_string(routing::key_slot(key)), "NODE", to_id})
            .str,
        "OK");
  }
  ASSERT_TRUE(cluster_->wait_converged());
  const std::string incr = "return redis.call('INCR', KEYS[1])";
  const resp::Value ran = conn.command({"EVAL", incr, "1", key});
  EXPECT_EQ(ran.integer, 1) << ran.str;
  EXPECT_EQ(target.command({"GET", key}).str, "1");  // ran once, on the new owner
  EXPECT_EQ(conn.command({"EVAL", incr, "1", key}).integer, 2);
}

// A MULTI block sent with a stale map (refresh_ms 60 s; the key's empty slot has just moved): the
// old owner answers each queued command MOVED and EXEC EXECABORT, so nothing ran, and the whole
// block goes to the new owner instead of the client getting EXECABORT.
TEST_F(ClusterPin, AMultiBlockSentWithAStaleMapRunsOnTheNewOwner) {
  TempDir dir("funnel-cluster-pin");
  funnel_ = FunnelProcess::start({"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)),
                                  "--config",
                                  dir.write("funnel.toml", "[cluster]\nrefresh_ms = 60000\n")});
  const auto keys = key_per_shard("block-moved:");
  const std::string key = keys[0].second;
  RespConnection conn(funnel_->port());
  ASSERT_EQ(conn.command({"PING"}).str, "PONG");
  RespConnection target(keys[1].first);
  const std::string to_id(target.command({"CLUSTER", "MYID"}).as_string().value_or(""));
  for (std::uint16_t port : cluster_->primary_ports()) {
    RespConnection node(port);
    ASSERT_EQ(
        node.command({"CLUSTER", "SETSLOT", std::to_string(routing::key_slot(key)), "NODE", to_id})
            .str,
        "OK");
  }
  ASSERT_TRUE(cluster_->wait_converged());
  ASSERT_EQ(conn.command({"MULTI"}).str, "OK");
  ASSERT_EQ(conn.command({"SET", key, "1"}).str, "QUEUED");
  ASSERT_EQ(conn.command({"INCR", key}).str, "QUEUED");
  const resp::Value done = conn.command({"EXEC"});
  ASSERT_EQ(done.elems.size(), 2u) << done.str;
  EXPECT_EQ(done.elems[1].integer, 2);
  EXPECT_EQ(target.command({"GET", key}).str, "2");  // ran once, on the new owner
}

// A script on the owner of its key's slot returns a MOVED naming that very slot and another
// primary: the map read after it shows the answering node still owns the slot, so the client
// gets the script's error and the script ran once.
TEST_F(ClusterPin, AScriptsForgedMovedForItsOwnSlotIsNeverFollowed) {
  const auto keys = key_per_shard("script-forged:");
  const std::string key = keys[0].second;
  const std::string forged = "MOVED " + std::to_string(routing::key_slot(key)) +
                             " 127.0.0.1:" + std::to_string(keys[1].first);
  RespConnection conn(funnel_->port());
  const resp::Value reply = conn.command(
      {"EVAL", "redis.call('INCR', KEYS[1]) return redis.error_reply('" + forged + "')", "1", key});
  EXPECT_EQ(reply.str, forged);
  RespConnection owner(keys[0].first);
  EXPECT_EQ(owner.command({"GET", key}).str, "1");
  RespConnection other(keys[1].first);
  EXPECT_EQ(other.command({"EXISTS", key}).str.starts_with("MOVED"), true);
}

// The watched key's slot moves (SETSLOT NODE on every primary) while the client is pinned: its
// queued command gets the old owner's MOVED and EXEC EXECABORT, as a direct client sees; the map
// is read again, so the same client's next write goes to the new owner.
TEST_F(ClusterPin, ASlotMovedWhilePinnedAnswersAsRedisAndRefreshesTheMap) {
  const auto keys = key_per_shard("moving:");
  const std::string key = keys[1].second;
  const std::uint16_t from = keys[1].first;
  const std::uint16_t to = keys[2].first;
  RespConnection conn(funnel_->port());
  ASSERT_EQ(conn.command({"WATCH", key}).str, "OK");
  RespConnection target(to);
  const std::string to_id(target.command({"CLUSTER", "MYID"}).as_string().value_or(""));
  for (std::uint16_t port : cluster_->primary_ports()) {
    RespConnection node(port);
    ASSERT_EQ(
        node.command({"CLUSTER", "SETSLOT", std::to_string(routing::key_slot(key)), "NODE", to_id})
            .str,
        "OK");
  }
  ASSERT_TRUE(cluster_->wait_converged());
  ASSERT_EQ(conn.command({"MULTI"}).str, "OK");
  const resp::Value queued = conn.command({"SET", key, "pinned"});
  EXPECT_EQ(queued.str,
            "MOVED " + std::to_string(routing::key_slot(key)) + " 127.0.0.1:" + std::to_string(to));
  EXPECT_TRUE(conn.command({"EXEC"}).str.starts_with("EXECABORT"));
  EXPECT_EQ(conn.command({"SET", key, "after"}).str, "OK");
  EXPECT_EQ(target.command({"GET", key}).str, "after");
  RespConnection old_owner(from);
  EXPECT_TRUE(old_owner.command({"GET", key}).str.starts_with("MOVED "));
}

// prefer-replica on a cluster of its own whose replicas all die (SIGKILL): the reads that were
// going to them, and those sent before the map drops them, go to their shard's primary instead
// of failing (the single-node replica path's rule, per shard).
TEST(ClusterReplicaReads, AReadAReplicaFailsIsRetriedOnItsShardsPrimary) {
  auto cluster = RedisCluster::start();
  constexpr int kKeys = 60;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "rr:" + std::to_string(i);
    RespConnection owner(cluster->primary_port_for_slot(routing::key_slot(key)));
    ASSERT_EQ(owner.command({"SET", key, std::to_string(i)}).str, "OK");
  }
  TempDir dir("funnel-cluster-rr");
  auto funnel = FunnelProcess::start({"--cluster", "127.0.0.1:" + std::to_string(cluster->port(0)),
                                      "--read-policy", "prefer-replica", "--config",
                                      dir.write("funnel.toml", "[cluster]\nrefresh_ms = 200\n")});
  const std::vector<std::uint16_t> replicas = cluster->replica_ports();
  ASSERT_TRUE(wait_until(
      [&] {
        RespConnection conn(funnel->port());
        for (int i = 0; i < kKeys; ++i) conn.send_command({"GET", "rr:" + std::to_string(i)});
        for (int i = 0; i < kKeys; ++i) conn.read_value();
        return command_calls(replicas, "get") >= kKeys / 2;
      },
      15s))
      << "reads never reached the replicas";
  for (std::size_t i = 0; i < cluster->size(); ++i) {
    for (std::uint16_t port : replicas) {
      if (cluster->port(i) == port) kill_hard(cluster->node(i));
    }
  }
  RespConnection conn(funnel->port(), 10s);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kKeys; ++i) {
      const resp::Value got = conn.command({"GET", "rr:" + std::to_string(i)});
      ASSERT_EQ(got.str, std::to_string(i)) << "round " << round << " key " << i;
    }
  }
}

}  // namespace
}  // namespace funnel::test
