// Issue #16, items 4, 6 and 7: a cluster-unaware client through Funnel in front of a Redis
// Cluster whose every slot is on one node (as a cluster-mode endpoint such as ElastiCache
// Serverless looks). Plain Redis Cluster answers a cross-slot MGET with CROSSSLOT; through Funnel
// (--cluster) the same MGET/MSET/DEL/UNLINK/EXISTS/TOUCH get a single Redis's answers, compared
// byte for byte with a non-cluster redis-server given the same commands. CLUSTER is answered as
// a one-node cluster at Funnel's address.
#include <string>
#include <vector>

#include "harness.hpp"

namespace funnel::test {
namespace {

constexpr std::string_view kCrossSlot =
    "-CROSSSLOT Keys in request don't hash to the same slot\r\n";

class ClusterSplit : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_node_ =
        RedisServer::start({"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"});
    RespConnection admin(cluster_node_->port());
    ASSERT_EQ(admin.command({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str, "OK");
    ASSERT_TRUE(wait_until([&] {
      return admin.command({"CLUSTER", "INFO"}).str.find("cluster_state:ok") != std::string::npos;
    }));
    single_ = RedisServer::start();
    funnel_ = FunnelProcess::start({"--cluster", backend_arg(cluster_node_->port())});
  }
  void TearDown() override {
    if (funnel_) {
      EXPECT_EQ(funnel_->stop(), 0) << funnel_->log_text();
    }
  }

  // Sends every command (pipelined) to Funnel and to the single Redis; expects the same bytes.
  void expect_same_as_single_redis(const std::vector<std::vector<std::string>>& commands,
                                   bool resp3 = false) {
    RespConnection through(funnel_->port());
    RespConnection single(single_->port());
    if (resp3) {
      through.command({"HELLO", "3"});
      single.command({"HELLO", "3"});
    }
    for (const auto& command : commands) {
      through.send_command(command);
      single.send_command(command);
    }
    for (const auto& command : commands) {
      std::string label;
      for (const auto& arg : command) label += arg + " ";
      EXPECT_EQ(through.read_raw_reply(), single.read_raw_reply()) << label;
    }
  }

  std::unique_ptr<RedisServer> cluster_node_;
  std::unique_ptr<RedisServer> single_;
  std::unique_ptr<FunnelProcess> funnel_;
};

TEST_F(ClusterSplit, PlainClusterRefusesCrossSlotButFunnelAnswersAsOneRedis) {
  RespConnection direct(cluster_node_->port());
  direct.send_command({"MGET", "a", "b"});
  EXPECT_EQ(direct.read_raw_reply(), kCrossSlot);

  // "a", "b", "c" are in three slots; "{a}x" shares "a"'s.
  const std::vector<std::vector<std::string>> commands = {
      {"MSET", "a", "1", "b", "2", "c", "3", "{a}x", "4"},
      {"MGET", "a", "b", "c", "missing", "{a}x", "a"},
      {"EXISTS", "a", "b", "missing", "a"},
      {"TOUCH", "a", "b", "missing"},
      {"DEL", "a", "b", "missing"},
      {"MGET", "a", "b", "c"},
      {"UNLINK", "c", "{a}x", "b"},
      {"MGET", "c", "{a}x"},
      {"SET", "w", "x"},
      {"MGET", "w", "a", "b"},
      {"MSET", "a", "1", "{a}w"},  // one slot: the node's arity error, as Redis
  };
  expect_same_as_single_redis(commands);
  expect_same_as_single_redis({{"MSET", "a", "1", "b", "2"}, {"MGET", "a", "zz", "b"}}, true);
}

// A client that pipelines writes and reads of the same keys across slots sees its own order:
// each slot's parts travel on one link per client, in request order.
TEST_F(ClusterSplit, PipelinedWritesThenReadsKeepTheClientsOrder) {
  std::vector<std::vector<std::string>> commands;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> mset{"MSET"}, mget{"MGET"}, del{"DEL"};
    for (int k = 0; k < 50; ++k) {
      const std::string key = "key:" + std::to_string((k * 7 + round) % 60);
      mset.insert(mset.end(), {key, std::to_string(round * 100 + k)});
      mget.push_back(key);
      if (k % 5 == round % 5) del.push_back(key);
    }
    commands.push_back(mset);
    commands.push_back({"GET", "key:" + std::to_string(round)});  // single-key between splits
    commands.push_back(mget);
    commands.push_back(del);
    commands.push_back({"SET", "key:" + std::to_string(round + 1), "single"});
    commands.push_back(mget);
  }
  expect_same_as_single_redis(commands);
}

// CLIENT REPLY SKIP silences a split request's merged reply, and only that one.
TEST_F(ClusterSplit, ReplySkipSilencesTheMergedReply) {
  RespConnection through(funnel_->port());
  through.send_command({"MSET", "a", "1", "b", "2"});
  through.send_command({"CLIENT", "REPLY", "SKIP"});
  through.send_command({"MGET", "a", "b"});
  through.send_command({"DEL", "a", "b", "c"});
  EXPECT_EQ(through.read_raw_reply(), "+OK\r\n");
  EXPECT_EQ(through.read_raw_reply(), ":2\r\n");
}

TEST_F(ClusterSplit, LargeCrossSlotMgetMatchesOneRedis) {
  std::vector<std::string> mset{"MSET"}, mget{"MGET"};
  for (int k = 0; k < 5000; ++k) {
    mset.insert(mset.end(), {"big:" + std::to_string(k), std::string(k % 50, 'v')});
    mget.push_back("big:" + std::to_string(k * 3 % 6000));
  }
  expect_same_as_single_redis({mset, mget, {"DEL", "big:1", "big:2", "big:3", "nope"}});
}

TEST_F(ClusterSplit, AtomicCommandsAcrossSlotsGetCrossSlot) {
  RespConnection through(funnel_->port());
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"MSETNX", "a", "1", "b", "2"},
                                             {"RENAME", "a", "b"},
                                             {"SUNIONSTORE", "a", "b", "c"},
                                             {"EVAL", "return 1", "2", "a", "b"},
                                             {"WATCH", "a", "b"}}) {
    through.send_command(command);
    EXPECT_EQ(through.read_raw_reply(), kCrossSlot) << command[0];
  }
  // A transaction: each command's keys are checked as queued, the whole block's at EXEC.
  EXPECT_EQ(through.command({"MULTI"}).str, "OK");
  EXPECT_EQ(through.command({"SET", "a", "1"}).str, "QUEUED");
  EXPECT_EQ(through.command({"SET", "b", "1"}).str, "QUEUED");
  through.send_command({"EXEC"});
  EXPECT_EQ(through.read_raw_reply(), kCrossSlot);
  through.send_command({"EXEC"});
  EXPECT_EQ(through.read_raw_reply(), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(through.command({"MULTI"}).str, "OK");
  EXPECT_EQ(through.command({"SET", "a", "1"}).str, "QUEUED");
  EXPECT_EQ(through.command({"INCR", "{a}n"}).str, "QUEUED");
  through.send_command({"EXEC"});
  EXPECT_EQ(through.read_raw_reply(), "*2\r\n+OK\r\n:1\r\n");
}

TEST_F(ClusterSplit, ClusterCommandsShowFunnelAsTheOnlyNode) {
  RespConnection through(funnel_->port());
  const resp::Value slots = through.command({"CLUSTER", "SLOTS"});
  ASSERT_EQ(slots.elems.size(), 1u);
  ASSERT_EQ(slots.elems[0].elems.size(), 3u);
  EXPECT_EQ(slots.elems[0].elems[0].integer, 0);
  EXPECT_EQ(slots.elems[0].elems[1].integer, 16383);
  EXPECT_EQ(slots.elems[0].elems[2].elems[0].str, "127.0.0.1");
  EXPECT_EQ(slots.elems[0].elems[2].elems[1].integer, funnel_->port());
  const std::string id = through.command({"CLUSTER", "MYID"}).str;
  EXPECT_EQ(id.size(), 40u);
  EXPECT_EQ(slots.elems[0].elems[2].elems[2].str, id);
  EXPECT_NE(through.command({"CLUSTER", "INFO"}).str.find("cluster_known_nodes:1"),
            std::string::npos);
  EXPECT_NE(through.command({"CLUSTER", "NODES"})
                .str.find(id + " 127.0.0.1:" + std::to_string(funnel_->port())),
            std::string::npos);
  // The same KEYSLOT as the node computes.
  RespConnection direct(cluster_node_->port());
  EXPECT_EQ(through.command({"CLUSTER", "KEYSLOT", "{user1}.x"}).integer,
            direct.command({"CLUSTER", "KEYSLOT", "{user1}.x"}).integer);
  for (const char* command : {"READONLY", "READWRITE", "ASKING"}) {
    EXPECT_EQ(through.command({command}).str, "OK") << command;
  }
  through.send_command({"CLUSTER", "COUNTKEYSINSLOT", "1"});
  EXPECT_TRUE(
      through.read_raw_reply().starts_with("-ERR funnel: CLUSTER COUNTKEYSINSLOT is refused"));
}

}  // namespace
}  // namespace funnel::test
