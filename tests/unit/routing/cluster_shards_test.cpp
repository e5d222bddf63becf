// SlotMap from CLUSTER SHARDS replies. The vectors are byte for byte what redis-server 7.0.15
// answered: a 3+3 cluster made by `redis-cli --cluster create` (RESP2, and RESP3 after HELLO 3),
// and a lone node owning every slot that does not know its own address (empty endpoint).
#include <gtest/gtest.h>

#include <string>

#include "parse_reply.hpp"
#include "routing/slot_map.hpp"

namespace funnel::routing {
namespace {

const NodeAddress kSeed{"10.0.0.9", 7000, ""};

constexpr std::string_view kThreeShardsResp2 =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\nf797011ba36e9a62fee4d40276733364e3270dc0\r\n$4\r\nport\r\n:27103\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\nc1aeb2be4354fa77b6ca37f28f5ee512847e94b0\r\n$4\r\nport\r\n"
    ":27106\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\n51df2f97dd33c77a9f729381c338e485de242ddf\r\n$4\r\nport\r\n:27102\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n1112e6a517a1b9f4594f6f6bb0dbb4eda63f4b9c\r\n$4\r\nport\r\n"
    ":27105\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\n8b569197474f9a4da996bb4f982460f7fd74f5eb\r\n$4\r\nport\r\n:27101\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n8ee4aff7ce05ba0374eb6da61356c535ae4d5580\r\n$4\r\nport\r\n"
    ":27104\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n";

constexpr std::string_view kThreeShardsResp3 =
    "*3\r\n%2\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n%7\r\n$2\r\n"
    "id\r\n$40\r\nf797011ba36e9a62fee4d40276733364e3270dc0\r\n$4\r\nport\r\n:27103\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "%7\r\n$2\r\nid\r\n$40\r\nc1aeb2be4354fa77b6ca37f28f5ee512847e94b0\r\n$4\r\nport\r\n"
    ":27106\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n%2\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n%7\r\n"
    "$2\r\nid\r\n$40\r\n51df2f97dd33c77a9f729381c338e485de242ddf\r\n$4\r\nport\r\n:27102\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "%7\r\n$2\r\nid\r\n$40\r\n1112e6a517a1b9f4594f6f6bb0dbb4eda63f4b9c\r\n$4\r\nport\r\n"
    ":27105\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n%7\r\n$2\r\n"
    "id\r\n$40\r\n8b569197474f9a4da996bb4f982460f7fd74f5eb\r\n$4\r\nport\r\n:27101\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "%7\r\n$2\r\nid\r\n$40\r\n8ee4aff7ce05ba0374eb6da61356c535ae4d5580\r\n$4\r\nport\r\n"
    ":27104\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n";

constexpr std::string_view kLoneNodeResp2 =
    "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n"
    "$40\r\n8ad40de4902432aa53e60bca48d70b7243f6282a\r\n$4\r\nport\r\n:27110\r\n$2\r\nip\r\n"
    "$0\r\n\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

void expect_three_shards(const SlotMap& map) {
  ASSERT_EQ(map.shards().size(), 3u);
  EXPECT_EQ(map.covered_slots(), 16384u);
  EXPECT_EQ(map.shard_for_slot(0)->primary.port, 27101);
  EXPECT_EQ(map.shard_for_slot(5460)->primary.port, 27101);
  EXPECT_EQ(map.shard_for_slot(5461)->primary.port, 27102);
  EXPECT_EQ(map.shard_for_key("foo")->primary.port, 27103);  // slot 12182, as MOVED said
  EXPECT_EQ(map.shard_for_slot(12182)->primary.id, "f797011ba36e9a62fee4d40276733364e3270dc0");
  for (const Shard& shard : map.shards()) {
    EXPECT_EQ(shard.primary.host, "127.0.0.1");
    ASSERT_EQ(shard.replicas.size(), 1u);
    EXPECT_NE(shard.replicas[0].port, shard.primary.port);
  }
  EXPECT_TRUE(map.knows({"127.0.0.1", 27106, ""}));
  EXPECT_FALSE(map.knows({"127.0.0.1", 1, ""}));
}

TEST(ClusterShards, ReadsRedisOwnReplyResp2) {
  SlotMap map;
  std::string error;
  ASSERT_TRUE(map.assign_shards(parse(kThreeShardsResp2), kSeed, error)) << error;
  expect_three_shards(map);
}

TEST(ClusterShards, ReadsRedisOwnReplyResp3) {
  SlotMap map;
  std::string error;
  ASSERT_TRUE(map.assign_shards(parse(kThreeShardsResp3), kSeed, error)) << error;
  expect_three_shards(map);
}

TEST(ClusterShards, AnEmptyEndpointIsTheNodeThatAnswered) {
  SlotMap map;
  std::string error;
  ASSERT_TRUE(map.assign_shards(parse(kLoneNodeResp2), kSeed, error)) << error;
  ASSERT_EQ(map.shards().size(), 1u);
  EXPECT_EQ(map.covered_slots(), 16384u);
  EXPECT_EQ(map.shard_for_slot(16383)->primary.host, "10.0.0.9");
  EXPECT_EQ(map.shard_for_slot(16383)->primary.port, 27110);
}

// Edits of the lone node's reply: each must be refused with the map kept as it was.
TEST(ClusterShards, RefusesMalformedRepliesAndKeepsTheMap) {
  const auto edited = [](std::string_view from, std::string_view to) {
    std::string reply(kLoneNodeResp2);
    reply.replace(reply.find(from), from.size(), to);
    return reply;
  };
  const struct {
    const char* name;
    std::string reply;
  } cases[] = {
      {"unknown endpoint", edited("$8\r\nendpoint\r\n$0\r\n\r\n", "$8\r\nendpoint\r\n$1\r\n?\r\n")},
      {"slot out of range", edited(":16383\r\n", ":16384\r\n")},
      {"reversed range", edited("*2\r\n:0\r\n:16383\r\n", "*2\r\n:9\r\n:8\r\n")},
      {"odd slot list", edited("*2\r\n:0\r\n:16383\r\n", "*1\r\n:0\r\n")},
      {"no primary", edited("$6\r\nmaster\r\n", "$7\r\nreplica\r\n")},
      {"port zero", edited(":27110\r\n", ":0\r\n")},
      {"error reply", "-ERR unknown subcommand 'shards'\r\n"},
      {"not an array", "+OK\r\n"},
  };
  for (const auto& c : cases) {
    SlotMap map;
    std::string error;
    ASSERT_TRUE(map.assign_shards(parse(kLoneNodeResp2), kSeed, error)) << error;
    EXPECT_FALSE(map.assign_shards(parse(c.reply), kSeed, error)) << c.name;
    EXPECT_FALSE(error.empty()) << c.name;
    EXPECT_EQ(map.covered_slots(), 16384u) << c.name;
  }
}

TEST(ClusterShards, LeavesOutReplicasThatAreNotOnline) {
  std::string reply(kThreeShardsResp2);
  // The first shard's replica (27106) is still loading.
  const std::size_t replica = reply.find(":27106\r\n");
  const std::size_t health = reply.find("$6\r\nonline\r\n", replica);
  reply.replace(health, 12, "$7\r\nloading\r\n");
  SlotMap map;
  std::string error;
  ASSERT_TRUE(map.assign_shards(parse(reply), kSeed, error)) << error;
  EXPECT_TRUE(map.shard_for_slot(16383)->replicas.empty());
  EXPECT_EQ(map.shard_for_slot(0)->replicas.size(), 1u);
}

// A primary serving no slot (a node just added, before a slot migrates to it) is a spare: listed
// for an ASK naming it, routed to by no slot. A failed one is not listed.
TEST(ClusterShards, APrimaryWithoutSlotsIsASpare) {
  const auto slotless = [](std::string_view port, std::string_view health) {
    return "*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n*10\r\n$2\r\nid\r\n$1\r\nn\r\n"
           "$4\r\nport\r\n:" +
           std::string(port) +
           "\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$6\r\n"
           "health\r\n$" +
           std::to_string(health.size()) + "\r\n" + std::string(health) + "\r\n";
  };
  std::string reply(kThreeShardsResp2);
  reply.replace(0, 2, "*5");
  reply += slotless("27107", "online") + slotless("27108", "fail");
  SlotMap map;
  std::string error;
  ASSERT_TRUE(map.assign_shards(parse(reply), kSeed, error)) << error;
  expect_three_shards(map);
  ASSERT_EQ(map.spares().size(), 1u);
  EXPECT_EQ(map.spares()[0].port, 27107);
  EXPECT_TRUE(map.knows({"127.0.0.1", 27107, ""}));
  EXPECT_FALSE(map.knows({"127.0.0.1", 27108, ""}));
  SlotMap before;
  ASSERT_TRUE(before.assign_shards(parse(kThreeShardsResp2), kSeed, error)) << error;
  EXPECT_TRUE(before.spares().empty());
  EXPECT_FALSE(map == before) << "a new spare is a new layout";
}

// The per-shard failover hold's facts (shard_hold.hpp): a primary flagged fail, and whether the
// shard has a replica to promote, online or still "loading" (Redis 7.0 says loading until gossip
// brings the replica's offset, as it did for a cluster Funnel read right after its creation).
std::string one_shard(std::string_view primary_health, std::string_view replica_health) {
  const auto node = [](std::string_view port, std::string_view role, std::string_view health) {
    return "*10\r\n$2\r\nid\r\n$1\r\nx\r\n$4\r\nport\r\n:" + std::string(port) +
           "\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$" +
           std::to_string(role.size()) + "\r\n" + std::string(role) + "\r\n$6\r\nhealth\r\n$" +
           std::to_string(health.size()) + "\r\n" + std::string(health) + "\r\n";
  };
  std::string reply = "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n";
  if (replica_health.empty()) return reply + "*1\r\n" + node("7001", "master", primary_health);
  return reply + "*2\r\n" + node("7001", "master", primary_health) +
         node("7002", "replica", replica_health);
}

TEST(ClusterShards, SaysWhetherThePrimaryFailedAndTheShardCanFailOver) {
  struct Case {
    std::string_view primary, replica;
    bool failed, can_fail_over;
    std::size_t replicas;  // readable ones
  };
  const Case cases[] = {
      {"online", "online", false, true, 1},  {"fail", "online", true, true, 1},
      {"online", "loading", false, true, 0}, {"fail", "loading", true, true, 0},
      {"online", "fail", false, false, 0},   {"fail", "", true, false, 0},
  };
  for (const Case& c : cases) {
    SlotMap map;
    std::string error;
    ASSERT_TRUE(map.assign_shards(parse(one_shard(c.primary, c.replica)), kSeed, error)) << error;
    ASSERT_EQ(map.shards().size(), 1u);
    const Shard& shard = map.shards()[0];
    EXPECT_EQ(shard.primary_failed, c.failed) << c.primary << "/" << c.replica;
    EXPECT_EQ(shard.can_fail_over(), c.can_fail_over) << c.primary << "/" << c.replica;
    EXPECT_EQ(shard.replicas.size(), c.replicas) << c.primary << "/" << c.replica;
  }
}

}  // namespace
}  // namespace funnel::routing
