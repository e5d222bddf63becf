// Scripts and MULTI blocks through a slot migration (issue #16 item 3, docs/cluster.md "Forged
// redirects"): a real 3-primary cluster with a slot put in migration by hand (SETSLOT
// IMPORTING/MIGRATING, MIGRATE of chosen keys), so every case is deterministic. A script or a
// block on a key already migrated gets ASK from the source; a single Redis would have run it, so
// Funnel runs it on the importing node, once, when the cluster proves the source refused it
// (routing/unsafe_redirect.hpp). A script's own ASK is passed through and never followed.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "routing/key_slot.hpp"
#include "slot_migration.hpp"
#include "support/redis_cluster.hpp"
#include "support/temp_dir.hpp"
#include "support/trap_listener.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

class ClusterMigration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = RedisCluster::start(3, 0).release(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    funnel_ = FunnelProcess::start(
        {"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)), "--workers", "2"});
  }
  // Puts the slot of `tag` in migration and moves `migrated` keys (of that slot) to the target.
  // The slot is left migrating: each test uses its own.
  static SlotMove begin(const std::string& tag, const std::vector<std::string>& migrated) {
    return begin_move(*cluster_, tag, migrated);
  }
  static RedisCluster* cluster_;
  std::unique_ptr<FunnelProcess> funnel_;
};
RedisCluster* ClusterMigration::cluster_ = nullptr;

// The key is gone from the source: Redis answers the script ASK before running it (checked
// below on the source itself), and Funnel runs it on the importing node after ASKING, once.
TEST_F(ClusterMigration, AScriptOnAKeyAlreadyMigratedRunsOnTheImportingNodeOnce) {
  const std::string key = "{script-migrated}k";
  RespConnection conn(funnel_->port());
  ASSERT_EQ(conn.command({"SET", key, "5"}).str, "OK");
  const SlotMove m = begin("script-migrated", {key});
  const std::string incr = "return redis.call('INCR', KEYS[1])";
  {
    RespConnection source(m.source);
    ASSERT_EQ(source.command({"EVAL", incr, "1", key}).str, m.ask()) << "no ASK to follow";
  }
  const resp::Value ran = conn.command({"EVAL", incr, "1", key});
  EXPECT_EQ(ran.integer, 6) << ran.str;
  RespConnection target(m.target);
  EXPECT_EQ(target.command({"ASKING"}).str, "OK");
  EXPECT_EQ(target.command({"GET", key}).str, "6");  // ran once, on the importing node
  const std::string sha(conn.command({"SCRIPT", "LOAD", incr}).as_string().value_or("no sha"));
  EXPECT_EQ(conn.command({"EVALSHA", sha, "1", key}).integer, 7);
  EXPECT_EQ(conn.command({"EVAL_RO", "return redis.call('GET', KEYS[1])", "1", key}).str, "7");
}

// The same for a MULTI block: the source answers the queued command ASK and EXEC EXECABORT
// (nothing ran); ASKING, MULTI, the commands and EXEC then all go to the importing node (Redis
// keeps ASKING's flag inside MULTI until EXEC).
TEST_F(ClusterMigration, AMultiBlockOnAKeyAlreadyMigratedRunsOnTheImportingNode) {
  const std::string key = "{block-migrated}k";
  RespConnection conn(funnel_->port());
  ASSERT_EQ(conn.command({"SET", key, "10"}).str, "OK");
  const SlotMove m = begin("block-migrated", {key});
  ASSERT_EQ(conn.command({"MULTI"}).str, "OK");
  ASSERT_EQ(conn.command({"INCR", key}).str, "QUEUED");
  ASSERT_EQ(conn.command({"GET", key}).str, "QUEUED");
  const resp::Value done = conn.command({"EXEC"});
  ASSERT_EQ(done.elems.size(), 2u) << done.str;
  EXPECT_EQ(done.elems[0].integer, 11);
  EXPECT_EQ(done.elems[1].str, "11");
  RespConnection target(m.target);
  EXPECT_EQ(target.command({"ASKING"}).str, "OK");
  EXPECT_EQ(target.command({"GET", key}).str, "11");  // ran once, on the importing node
  EXPECT_EQ(conn.command({"GET", key}).str, "11");    // and the link after it is clean
}

// A script whose key is still on the source (the slot is migrating, another key of it has
// moved) writes and then returns an ASK of its own naming the real importing node: the probe
// finds its key on the source, so the ASK is the script's, and the client gets it as it came.
TEST_F(ClusterMigration, AScriptsForgedAskOnAMigratingSlotIsPassedThrough) {
  const std::string moved = "{forged-migrating}a";
  const std::string stays = "{forged-migrating}b";
  RespConnection conn(funnel_->port());
  ASSERT_EQ(conn.command({"SET", moved, "1"}).str, "OK");
  ASSERT_EQ(conn.command({"SET", stays, "1"}).str, "OK");
  const SlotMove m = begin("forged-migrating", {moved});
  const resp::Value reply = conn.command(
      {"EVAL", "redis.call('INCR', KEYS[1]) return redis.error_reply('" + m.ask() + "')", "1",
       stays});
  EXPECT_EQ(reply.str, m.ask());
  RespConnection source(m.source);
  EXPECT_EQ(source.command({"GET", stays}).str, "2");  // ran once, on the source
  RespConnection target(m.target);
  EXPECT_EQ(target.command({"ASKING"}).str, "OK");
  const resp::Value there = target.command({"GET", stays});
  EXPECT_TRUE(there.is_null()) << "the forged ASK was followed: " << there.str;
}

// A script on a slot that is not migrating forges an ASK naming another primary; then one on a
// migrating slot names an address the cluster does not list: both reach the client as they came,
// and Funnel connects nowhere new.
TEST_F(ClusterMigration, AScriptsForgedAskIsNeverFollowedNorConnected) {
  TrapListener trap;
  RespConnection conn(funnel_->port());
  const std::string key = "{forged-still}k";
  const std::uint16_t slot = routing::key_slot(key);
  const std::uint16_t owner = cluster_->primary_port_for_slot(slot);
  std::uint16_t other = 0;
  for (std::uint16_t port : cluster_->primary_ports()) {
    if (port != owner) other = port;
  }
  const std::string to_other =
      "ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(other);
  EXPECT_EQ(
      conn.command({"EVAL",
                    "redis.call('INCR', KEYS[1]) return redis.error_reply('" + to_other + "')", "1",
                    key})
          .str,
      to_other);
  RespConnection owner_conn(owner);
  EXPECT_EQ(owner_conn.command({"GET", key}).str, "1");

  const std::string gone = "{forged-trap}k";
  ASSERT_EQ(conn.command({"SET", gone, "1"}).str, "OK");
  const SlotMove m = begin("forged-trap", {gone});
  const std::string to_trap =
      "ASK " + std::to_string(m.slot) + " 127.0.0.1:" + std::to_string(trap.port());
  EXPECT_EQ(conn.command({"EVAL", "return redis.error_reply('" + to_trap + "')", "1", gone}).str,
            to_trap);
  EXPECT_EQ(conn.command({"SET", "{forged-still}after", "1"}).str, "OK");
  EXPECT_FALSE(trap.connected());
}

// A reshard onto a node just added to the cluster: Funnel's map (read every 60 s here) does not
// list it when the source answers ASK, so the script's ASK waits for a map read begun after it;
// that read should list the node, the probe confirm the ASK, and the script run there, once; a
// plain GET of a migrated key the same way without the probe. DISABLED: both get the ASK today,
// because the slot map drops a shard that owns no slot yet (routing/cluster_shards.cpp), so
// Funnel has no links to a new node until its first slot's migration ends (docs/cluster.md,
// "Not done yet"). Enable it with that fix.
TEST(ClusterMigrationNewNode, AScriptAskedToANodeNotYetInTheMapRunsThereOnce) {
  auto cluster = RedisCluster::start(3, 0);
  TempDir dir("funnel-cluster-new-node");
  auto funnel = FunnelProcess::start({"--cluster", "127.0.0.1:" + std::to_string(cluster->port(0)),
                                      "--workers", "2", "--config",
                                      dir.write("funnel.toml", "[cluster]\nrefresh_ms = 60000\n")});
  RespConnection conn(funnel->port());
  const std::string key = "{new-node}k";
  const std::string read = "{new-node}r";
  ASSERT_EQ(conn.command({"SET", key, "1"}).str, "OK");
  ASSERT_EQ(conn.command({"SET", read, "r"}).str, "OK");
  auto added = RedisServer::start(cluster_node_args());
  RespConnection fresh(added->port());
  ASSERT_EQ(fresh.command({"CLUSTER", "MEET", "127.0.0.1", std::to_string(cluster->port(0))}).str,
            "OK");
  const std::string fresh_id = node_id(added->port());
  const std::uint16_t slot = routing::key_slot(key);
  const std::uint16_t source_port = cluster->primary_port_for_slot(slot);
  RespConnection source(source_port);
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string nodes(source.command({"CLUSTER", "NODES"}).as_string().value_or(""));
        return nodes.find(fresh_id) != std::string::npos;
      },
      10s))
      << "the source never heard of the new node";
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string info(fresh.command({"CLUSTER", "INFO"}).as_string().value_or(""));
        return info.find("cluster_state:ok") != std::string::npos;
      },
      10s))
      << "the new node never saw the cluster ok";
  const std::string s = std::to_string(slot);
  ASSERT_EQ(fresh.command({"CLUSTER", "SETSLOT", s, "IMPORTING", node_id(source_port)}).str, "OK");
  ASSERT_EQ(source.command({"CLUSTER", "SETSLOT", s, "MIGRATING", fresh_id}).str, "OK");
  ASSERT_EQ(source
                .command({"MIGRATE", "127.0.0.1", std::to_string(added->port()), "", "0", "5000",
                          "KEYS", key, read})
                .str,
            "OK");
  const resp::Value ran = conn.command({"EVAL", "return redis.call('INCR', KEYS[1])", "1", key});
  EXPECT_EQ(ran.integer, 2) << ran.str;
  EXPECT_EQ(conn.command({"GET", read}).str, "r");
  EXPECT_EQ(fresh.command({"ASKING"}).str, "OK");
  EXPECT_EQ(fresh.command({"GET", key}).str, "2");  // ran once, on the new node
}

}  // namespace
}  // namespace funnel::test
