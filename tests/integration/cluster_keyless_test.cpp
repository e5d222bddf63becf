// Issue #16, item 5: keyless commands through Funnel in front of a real 3+3 Redis Cluster give one
// Redis's answers: DBSIZE sums every primary, KEYS concatenates, RANDOMKEY picks a non-empty
// shard, SCAN walks every primary with one cursor (and starts again when a slot moves mid-scan,
// so no key present throughout is missed), SCRIPT LOAD reaches every node (EVALSHA works on keys
// of every shard), FUNCTION and FLUSHALL/FLUSHDB reach every primary where the policy allows
// them. Compared with a single non-cluster redis-server given the same data, RESP2 and RESP3.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "routing/key_slot.hpp"
#include "routing/shard_scan.hpp"
#include "support/redis_cluster.hpp"

namespace funnel::test {
namespace {

std::string node_id(std::uint16_t port) {
  RespConnection conn(port);
  return std::string(conn.command({"CLUSTER", "MYID"}).as_string().value_or(""));
}

class ClusterKeyless : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = RedisCluster::start().release(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    for (std::uint16_t port : cluster_->primary_ports()) {
      RespConnection conn(port);
      ASSERT_EQ(conn.command({"FLUSHALL"}).str, "OK");
      conn.command({"FUNCTION", "FLUSH"});
    }
    single_ = RedisServer::start();
  }
  void start_funnel(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)),
                                  "--workers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    funnel_ = FunnelProcess::start(args);
  }
  void TearDown() override {
    if (funnel_) {
      EXPECT_EQ(funnel_->stop(), 0) << funnel_->log_text();
    }
  }
  // SETs `count` keys through Funnel and on the single Redis (pipelined).
  void fill(int count, const std::string& prefix = "k:") {
    RespConnection through(funnel_->port());
    RespConnection single(single_->port());
    for (int i = 0; i < count; ++i) {
      through.send_command({"SET", prefix + std::to_string(i), std::to_string(i)});
      single.send_command({"SET", prefix + std::to_string(i), std::to_string(i)});
    }
    for (int i = 0; i < count; ++i) {
      ASSERT_EQ(through.read_value().str, "OK");
      ASSERT_EQ(single.read_value().str, "OK");
    }
  }
  // Every key a SCAN from cursor 0 to the end returns through `conn` (bounded call count).
  static std::multiset<std::string> scan_all(RespConnection& conn,
                                             std::vector<std::string> options = {}) {
    std::multiset<std::string> keys;
    std::string cursor = "0";
    for (int calls = 0; calls < 100000; ++calls) {
      std::vector<std::string> command{"SCAN", cursor};
      command.insert(command.end(), options.begin(), options.end());
      const resp::Value reply = conn.command(command);
      EXPECT_EQ(reply.elems.size(), 2u) << reply.str;
      if (reply.elems.size() != 2) break;
      for (const resp::Value& key : reply.elems[1].elems) keys.insert(key.str);
      cursor = reply.elems[0].str;
      if (cursor == "0") break;
    }
    EXPECT_EQ(cursor, "0");
    return keys;
  }
  static std::set<std::string> sorted(const resp::Value& array) {
    std::set<std::string> out;
    for (const resp::Value& e : array.elems) out.insert(e.str);
    return out;
  }

  static RedisCluster* cluster_;
  std::unique_ptr<RedisServer> single_;
  std::unique_ptr<FunnelProcess> funnel_;
};
RedisCluster* ClusterKeyless::cluster_ = nullptr;

TEST_F(ClusterKeyless, DbsizeKeysRandomkeyAnswerForTheWholeCluster) {
  start_funnel();
  for (const bool resp3 : {false, true}) {
    RespConnection through(funnel_->port());
    RespConnection single(single_->port());
    if (resp3) {
      through.command({"HELLO", "3"});
      single.command({"HELLO", "3"});
    }
    // Empty: the same bytes (a RESP3 null for RANDOMKEY).
    for (const auto& command :
         std::vector<std::vector<std::string>>{{"DBSIZE"}, {"RANDOMKEY"}, {"KEYS", "*"}}) {
      through.send_command(command);
      single.send_command(command);
      EXPECT_EQ(through.read_raw_reply(), single.read_raw_reply()) << command[0] << resp3;
    }
  }
  fill(300);
  for (const bool resp3 : {false, true}) {
    RespConnection through(funnel_->port());
    RespConnection single(single_->port());
    if (resp3) {
      through.command({"HELLO", "3"});
      single.command({"HELLO", "3"});
    }
    through.send_command({"DBSIZE"});
    single.send_command({"DBSIZE"});
    EXPECT_EQ(through.read_raw_reply(), single.read_raw_reply());  // ":300\r\n"
    EXPECT_EQ(sorted(through.command({"KEYS", "k:1*"})), sorted(single.command({"KEYS", "k:1*"})));
    EXPECT_EQ(through.command({"KEYS", "*"}).elems.size(), 300u);
    std::set<std::string> random;
    for (int i = 0; i < 60; ++i) random.insert(through.command({"RANDOMKEY"}).str);
    EXPECT_GT(random.size(), 3u);
    for (const std::string& key : random) EXPECT_TRUE(key.starts_with("k:")) << key;
  }
  // Keys on every shard: each primary's own DBSIZE is part of the sum.
  for (std::uint16_t port : cluster_->primary_ports()) {
    RespConnection direct(port);
    EXPECT_GT(direct.command({"DBSIZE"}).integer, 50) << port;
  }
}

TEST_F(ClusterKeyless, ScanWalksEveryPrimaryWithOneCursor) {
  start_funnel();
  const int keys = 5000;
  fill(keys);
  fill(50, "other:");
  for (const bool resp3 : {false, true}) {
    RespConnection through(funnel_->port());
    if (resp3) through.command({"HELLO", "3"});
    const std::multiset<std::string> all = scan_all(through, {"COUNT", "100"});
    const std::set<std::string> distinct(all.begin(), all.end());
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(keys + 50));
    // MATCH and TYPE pass through: the same set as one Redis's full scan.
    RespConnection single(single_->port());
    const std::multiset<std::string> matched = scan_all(through, {"MATCH", "other:*"});
    const std::multiset<std::string> single_matched = scan_all(single, {"MATCH", "other:*"});
    EXPECT_EQ(std::set<std::string>(matched.begin(), matched.end()),
              std::set<std::string>(single_matched.begin(), single_matched.end()));
    EXPECT_TRUE(scan_all(through, {"TYPE", "hash"}).empty());
  }
  RespConnection through(funnel_->port());
  EXPECT_EQ(through.command({"SCAN", "notanumber"}).str, "ERR invalid cursor");
  // A cursor the client made up (no map tag of Funnel's): the walk starts over, no error.
  EXPECT_EQ(through.command({"SCAN", "12345"}).elems.size(), 2u);
}

// A slot that moves from the shard being walked to one already walked: the map's tag in the
// cursor changes, the walk starts again at shard 0, and every key is returned (some twice).
// Without the tag the keys of the moved slot not yet returned were missed.
TEST_F(ClusterKeyless, ScanWhileASlotMovesReturnsEveryKey) {
  TempDir dir("funnel-keyless-conf");
  start_funnel({"--config", dir.write("funnel.toml", "[cluster]\nrefresh_ms = 100\n")});
  const int keys = 3000;
  fill(keys);
  RespConnection through(funnel_->port());
  std::set<std::string> seen;
  std::string cursor = "0";
  std::uint64_t value = 0;
  // Walk until the last shard (index 2) has begun. A map that changes before then (right after
  // the cluster is created, a refresh can list the shards differently: a CI run saw the tag
  // change after 82 calls) restarts the walk at shard 0 in its new order: what this walk has
  // returned starts over too, or the shards "done" and "being walked" below would mix two walks.
  std::uint32_t walk_tag = 0;
  for (int calls = 0; calls < 10000; ++calls) {
    const resp::Value reply = through.command({"SCAN", cursor, "COUNT", "20"});
    ASSERT_EQ(reply.elems.size(), 2u);
    value = std::stoull(reply.elems[0].str);
    const auto tag = static_cast<std::uint32_t>(value >> routing::kNodeBits) & routing::kTagMask;
    if (value != 0 && tag != walk_tag) {
      if (calls != 0) seen.clear();
      walk_tag = tag;
    }
    for (const resp::Value& key : reply.elems[1].elems) seen.insert(key.str);
    cursor = reply.elems[0].str;
    if ((value >> (64 - routing::kShardBits)) == 2 && (value & routing::kNodeCursorMask) != 0) {
      break;
    }
  }
  ASSERT_EQ(value >> (64 - routing::kShardBits), 2u) << cursor;
  // A slot of the shard being walked whose keys none were returned yet, and a shard done.
  std::map<std::uint16_t, std::vector<std::string>> unseen_by_slot;
  std::uint16_t walking = 0, done = 0;
  for (int i = 0; i < keys; ++i) {
    const std::string key = "k:" + std::to_string(i);
    const std::uint16_t owner = cluster_->primary_port_for_slot(routing::key_slot(key));
    if (seen.contains(key)) {
      done = owner;
    } else {
      walking = owner;
      unseen_by_slot[routing::key_slot(key)].push_back(key);
    }
  }
  std::uint16_t slot = 0;
  for (const auto& [s, slot_keys] : unseen_by_slot) {
    bool none_seen = cluster_->primary_port_for_slot(s) == walking;
    for (int i = 0; i < keys && none_seen; ++i) {
      const std::string key = "k:" + std::to_string(i);
      if (routing::key_slot(key) == s && seen.contains(key)) none_seen = false;
    }
    if (none_seen) slot = s;
  }
  ASSERT_NE(walking, done);
  ASSERT_FALSE(unseen_by_slot[slot].empty())
      << "seen " << seen.size() << " walking " << walking << " done " << done << " slots "
      << unseen_by_slot.size() << " cursor " << cursor;
  // Move it: IMPORTING/MIGRATING, MIGRATE its keys, SETSLOT NODE everywhere.
  {
    RespConnection target(done), source(walking);
    const std::string s = std::to_string(slot);
    ASSERT_EQ(target.command({"CLUSTER", "SETSLOT", s, "IMPORTING", node_id(walking)}).str, "OK");
    ASSERT_EQ(source.command({"CLUSTER", "SETSLOT", s, "MIGRATING", node_id(done)}).str, "OK");
    std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(done), "", "0",
                                     "5000",    "KEYS"};
    for (const std::string& key : unseen_by_slot[slot]) migrate.push_back(key);
    ASSERT_EQ(source.command(migrate).str, "OK");
    for (std::uint16_t port : cluster_->primary_ports()) {
      RespConnection conn(port);
      ASSERT_EQ(conn.command({"CLUSTER", "SETSLOT", s, "NODE", node_id(done)}).str, "OK");
    }
    ASSERT_TRUE(cluster_->wait_converged());
  }
  // Funnel's map has the move once a new scan's cursor carries another tag.
  const auto tag_of = [](std::uint64_t v) { return (v >> routing::kNodeBits) & routing::kTagMask; };
  ASSERT_TRUE(wait_until([&] {
    const resp::Value fresh = through.command({"SCAN", "0", "COUNT", "1"});
    return fresh.elems.size() == 2 && fresh.elems[0].str != "0" &&
           tag_of(std::stoull(fresh.elems[0].str)) != tag_of(value);
  }));
  for (int calls = 0; calls < 10000 && cursor != "0"; ++calls) {
    const resp::Value reply = through.command({"SCAN", cursor, "COUNT", "20"});
    ASSERT_EQ(reply.elems.size(), 2u);
    for (const resp::Value& key : reply.elems[1].elems) seen.insert(key.str);
    cursor = reply.elems[0].str;
  }
  EXPECT_EQ(cursor, "0");
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(keys));
  for (const std::string& key : unseen_by_slot[slot]) EXPECT_TRUE(seen.contains(key)) << key;
}

TEST_F(ClusterKeyless, ScriptLoadReachesEveryShardForEvalsha) {
  start_funnel();
  RespConnection through(funnel_->port());
  const std::string sha =
      through.command({"SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])"}).str;
  ASSERT_EQ(sha.size(), 40u) << sha;
  RespConnection single(single_->port());
  EXPECT_EQ(single.command({"SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])"}).str, sha);
  fill(30);
  std::set<std::uint16_t> shards;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "k:" + std::to_string(i);
    EXPECT_EQ(through.command({"EVALSHA", sha, "1", key}).str, std::to_string(i)) << key;
    shards.insert(cluster_->primary_port_for_slot(routing::key_slot(key)));
  }
  EXPECT_EQ(shards.size(), 3u);
  // Every primary has it (replicas too, under a read policy that reads from them).
  for (std::uint16_t port : cluster_->primary_ports()) {
    RespConnection direct(port);
    EXPECT_EQ(direct.command({"SCRIPT", "EXISTS", sha}).elems.at(0).integer, 1) << port;
  }
  const resp::Value exists = through.command({"SCRIPT", "EXISTS", sha, std::string(40, 'a')});
  ASSERT_EQ(exists.elems.size(), 2u);
  EXPECT_EQ(exists.elems[0].integer, 1);
  EXPECT_EQ(exists.elems[1].integer, 0);
  // One node without it: SCRIPT EXISTS says 0 (EVALSHA could fail there).
  {
    RespConnection direct(cluster_->primary_ports().at(1));
    ASSERT_EQ(direct.command({"SCRIPT", "FLUSH"}).str, "OK");
  }
  EXPECT_EQ(through.command({"SCRIPT", "EXISTS", sha}).elems.at(0).integer, 0);
  EXPECT_EQ(through.command({"SCRIPT", "FLUSH"}).str, "OK");
  for (std::uint16_t port : cluster_->primary_ports()) {
    RespConnection direct(port);
    EXPECT_EQ(direct.command({"SCRIPT", "EXISTS", sha}).elems.at(0).integer, 0) << port;
  }
}

TEST_F(ClusterKeyless, FunctionsAndFlushesReachEveryPrimaryWhereAllowed) {
  start_funnel({"--deny-commands", ""});
  RespConnection through(funnel_->port());
  RespConnection single(single_->port());
  const std::string library =
      "#!lua name=kl\nredis.register_function('kl_get', function(keys) return "
      "redis.call('GET', keys[1]) end)";
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"FUNCTION", "LOAD", library},
           {"FUNCTION", "LOAD", library},  // exists already: the same error from every node
           {"FUNCTION", "DELETE", "nope"}}) {
    through.send_command(command);
    single.send_command(command);
    EXPECT_EQ(through.read_raw_reply(), single.read_raw_reply()) << command[1];
  }
  fill(30);
  for (int i = 0; i < 30; ++i) {
    const std::string key = "k:" + std::to_string(i);
    EXPECT_EQ(through.command({"FCALL", "kl_get", "1", key}).str, std::to_string(i));
  }
  EXPECT_EQ(through.command({"FUNCTION", "DELETE", "kl"}).str, "OK");
  EXPECT_EQ(through.command({"FLUSHDB"}).str, "OK");
  EXPECT_EQ(through.command({"DBSIZE"}).integer, 0);
  fill(30);
  EXPECT_EQ(through.command({"FLUSHALL", "ASYNC"}).str, "OK");
  for (std::uint16_t port : cluster_->primary_ports()) {
    RespConnection direct(port);
    EXPECT_EQ(direct.command({"DBSIZE"}).integer, 0) << port;
  }
}

TEST_F(ClusterKeyless, FlushesStayDeniedByDefault) {
  start_funnel();
  fill(10);
  RespConnection through(funnel_->port());
  EXPECT_TRUE(through.command({"FLUSHALL"}).str.starts_with("NOPERM")) << "default deny list";
  EXPECT_EQ(through.command({"DBSIZE"}).integer, 10);
}

// Every ```toml example of docs/cluster.md (ElastiCache cluster mode, Serverless) passes
// `funnel --check-config`.
TEST(ClusterDocs, EveryExampleConfigurationPassesCheckConfig) {
  std::ifstream in(FUNNEL_SOURCE_DIR "/docs/cluster.md");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  TempDir dir("funnel-cluster-docs");
  int examples = 0;
  for (std::size_t at = doc.find("```toml\n"); at != std::string::npos;
       at = doc.find("```toml\n", at + 1)) {
    const std::size_t begin = at + 8;
    const std::size_t end = doc.find("```", begin);
    ASSERT_NE(end, std::string::npos);
    const std::string example = doc.substr(begin, end - begin);
    const std::string path = dir.write("example" + std::to_string(examples++) + ".toml", example);
    const std::string command = FunnelProcess::binary_path() + " --check-config " + path + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
      out.append(buffer, n);
    const int raw = ::pclose(pipe);
    EXPECT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 0) << example << out;
  }
  EXPECT_EQ(examples, 2);
}

}  // namespace
}  // namespace funnel::test
