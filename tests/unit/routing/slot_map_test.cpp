// SlotMap from CLUSTER SLOTS replies. The first reply is byte for byte what redis-server 7.0.15
// answered (`--cluster-enabled yes`, CLUSTER ADDSLOTSRANGE 0 5460, CLUSTER ADDSLOTS 9000, a lone
// node that does not know its own address yet, hence the empty host).
#include "routing/slot_map.hpp"

#include <gtest/gtest.h>

#include <string>

#include "parse_reply.hpp"

namespace funnel::routing {
namespace {

const NodeAddress kSeed{"10.0.0.9", 7000, ""};

constexpr std::string_view kLoneNode =
    "*2\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$0\r\n\r\n:17392\r\n$40\r\n"
    "2e40a938caafa140e30879e0904081829618ec16\r\n*0\r\n*3\r\n:9000\r\n:9000\r\n*4\r\n$0\r\n\r\n"
    ":17392\r\n$40\r\n2e40a938caafa140e30879e0904081829618ec16\r\n*0\r\n";

TEST(SlotMap, ReadsRedisOwnReplyAndFillsAnEmptyHostWithTheNodeThatAnswered) {
  SlotMap map;
  std::string error;
  ASSERT_TRUE(map.assign(parse(kLoneNode), kSeed, error)) << error;
  ASSERT_EQ(map.shards().size(), 1u);  // two ranges, one primary
  const Shard* shard = map.shard_for_slot(0);
  ASSERT_NE(shard, nullptr);
  EXPECT_EQ(shard->primary.host, "10.0.0.9");
  EXPECT_EQ(shard->primary.port, 17392);
  EXPECT_EQ(shard->primary.id, "2e40a938caafa140e30879e0904081829618ec16");
  EXPECT_EQ(map.shard_for_slot(5460), shard);
  EXPECT_EQ(map.shard_for_slot(9000), shard);
  EXPECT_EQ(map.shard_for_slot(5461), nullptr);  // unserved: CLUSTERDOWN for its keys
  EXPECT_EQ(map.shard_for_slot(16383), nullptr);
  EXPECT_EQ(map.covered_slots(), 5462u);
}

TEST(SlotMap, ThreeShardsWithReplicas) {
  const std::string reply =
      "*3\r\n"
      "*4\r\n:0\r\n:5460\r\n*3\r\n$8\r\n10.0.0.1\r\n:6379\r\n$1\r\na\r\n"
      "*3\r\n$8\r\n10.0.0.4\r\n:6379\r\n$1\r\nd\r\n"
      "*3\r\n:5461\r\n:10922\r\n*2\r\n$8\r\n10.0.0.2\r\n:6379\r\n"
      "*3\r\n:10923\r\n:16383\r\n*2\r\n$8\r\n10.0.0.3\r\n:6380\r\n";
  SlotMap map;
  std::string error;
  ASSERT_TRUE(map.assign(parse(reply), kSeed, error)) << error;
  EXPECT_EQ(map.covered_slots(), 16384u);
  EXPECT_EQ(map.shard_for_key("foo")->primary.host, "10.0.0.3");  // slot 12182
  EXPECT_EQ(map.shard_for_key("bar")->primary.host, "10.0.0.1");  // slot 5061
  ASSERT_EQ(map.shard_for_slot(0)->replicas.size(), 1u);
  EXPECT_EQ(map.shard_for_slot(0)->replicas[0].host, "10.0.0.4");
  EXPECT_TRUE(map.knows({"10.0.0.4", 6379, ""}));
  EXPECT_TRUE(map.knows({"10.0.0.3", 6380, ""}));
  // A forged redirect's address is not in the map: Funnel must not connect to it.
  EXPECT_FALSE(map.knows({"evil", 6379, ""}));
  EXPECT_FALSE(map.knows({"10.0.0.3", 6379, ""}));
}

struct BadReply {
  const char* name;
  std::string bytes;
};

class SlotMapRefuses : public ::testing::TestWithParam<BadReply> {};

TEST_P(SlotMapRefuses, KeepsTheMapItHad) {
  SlotMap map;
  std::string error;
  ASSERT_TRUE(map.assign(parse(kLoneNode), kSeed, error));
  EXPECT_FALSE(map.assign(parse(GetParam().bytes), kSeed, error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(map.covered_slots(), 5462u);  // unchanged
}

INSTANTIATE_TEST_SUITE_P(
    Invalid, SlotMapRefuses,
    ::testing::Values(
        BadReply{"error_reply", "-ERR This instance has cluster support disabled\r\n"},
        BadReply{"not_an_array", "+OK\r\n"},
        BadReply{"range_past_the_end", "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n"},
        BadReply{"range_backwards", "*1\r\n*3\r\n:10\r\n:9\r\n*2\r\n$1\r\nh\r\n:1\r\n"},
        BadReply{"negative_slot", "*1\r\n*3\r\n:-1\r\n:9\r\n*2\r\n$1\r\nh\r\n:1\r\n"},
        BadReply{"no_primary", "*1\r\n*2\r\n:0\r\n:9\r\n"},
        BadReply{"port_zero", "*1\r\n*3\r\n:0\r\n:9\r\n*2\r\n$1\r\nh\r\n:0\r\n"},
        BadReply{"port_too_big", "*1\r\n*3\r\n:0\r\n:9\r\n*2\r\n$1\r\nh\r\n:65536\r\n"},
        BadReply{"port_as_string", "*1\r\n*3\r\n:0\r\n:9\r\n*2\r\n$1\r\nh\r\n$4\r\n6379\r\n"},
        BadReply{"unknown_endpoint", "*1\r\n*3\r\n:0\r\n:9\r\n*2\r\n$1\r\n?\r\n:6379\r\n"},
        BadReply{"bad_replica", "*1\r\n*4\r\n:0\r\n:9\r\n*2\r\n$1\r\nh\r\n:1\r\n:5\r\n"}),
    [](const ::testing::TestParamInfo<BadReply>& info) { return std::string(info.param.name); });

TEST(SlotMap, EmptyMapServesNothing) {
  const SlotMap map;
  EXPECT_EQ(map.shard_for_slot(0), nullptr);
  EXPECT_EQ(map.covered_slots(), 0u);
  EXPECT_FALSE(map.knows(kSeed));
}

}  // namespace
}  // namespace funnel::routing
