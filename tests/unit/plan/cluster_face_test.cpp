// CLUSTER as Funnel answers it in cluster mode: each reply byte for byte as redis-server 7.0.15
// sends it for a lone node owning every slot (captured from `redis-server --cluster-enabled yes`
// after CLUSTER ADDSLOTSRANGE 0 16383, RESP2 and RESP3), with Funnel's address and id in it.
#include "plan/cluster_face.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "../command/request_helpers.hpp"

namespace funnel::plan {
namespace {

using command::test::ParsedRequest;

class ClusterFace : public ::testing::Test {
 protected:
  std::string reply(std::vector<std::string> args, resp::Protocol protocol) {
    ParsedRequest request(args);
    command::Classification cls;
    command::classify(*table_, request.get(), cls);
    Plan p;
    EXPECT_TRUE(plan_cluster_face(cls, request.get(), protocol, address_, scratch_, p));
    return std::string(p.text);
  }
  // The captured reply with the node's id, address and port replaced by Funnel's.
  std::string expected(std::string captured) const {
    captured =
        std::regex_replace(captured, std::regex("f1d32dd9d2c22487803ed96d4f821fc6c0dbc8d6"), id_);
    captured = std::regex_replace(captured, std::regex("\\$0\\r\\n\\r\\n"), "$$8\r\n10.0.0.9\r\n");
    return std::regex_replace(captured, std::regex("17901"), "7000");
  }

  std::shared_ptr<const command::CommandTable> table_ = command::CommandTable::builtin();
  ClusterAddress address_{"10.0.0.9", 7000};
  std::string id_ = cluster_node_id(address_);
  std::string scratch_;
};

TEST_F(ClusterFace, NodeIdIsStableFortyHexPerAddress) {
  EXPECT_EQ(id_.size(), 40u);
  EXPECT_EQ(id_.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(id_, cluster_node_id(ClusterAddress{"10.0.0.9", 7000}));
  EXPECT_NE(id_, cluster_node_id(ClusterAddress{"10.0.0.9", 7001}));
  EXPECT_NE(id_, cluster_node_id(ClusterAddress{"10.0.0.8", 7000}));
}

TEST_F(ClusterFace, SlotsAsRedisInBothProtocols) {
  const std::string resp2 =
      "*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$0\r\n\r\n:17901\r\n$40\r\n"
      "f1d32dd9d2c22487803ed96d4f821fc6c0dbc8d6\r\n*0\r\n";
  EXPECT_EQ(reply({"CLUSTER", "SLOTS"}, resp::Protocol::kResp2), expected(resp2));
  const std::string resp3 =
      "*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$0\r\n\r\n:17901\r\n$40\r\n"
      "f1d32dd9d2c22487803ed96d4f821fc6c0dbc8d6\r\n%0\r\n";
  EXPECT_EQ(reply({"cluster", "slots"}, resp::Protocol::kResp3), expected(resp3));
}

TEST_F(ClusterFace, ShardsAsRedisInBothProtocols) {
  const std::string body = "$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n";
  const std::string node =
      "$2\r\nid\r\n$40\r\nf1d32dd9d2c22487803ed96d4f821fc6c0dbc8d6\r\n$4\r\nport\r\n:17901\r\n"
      "$2\r\nip\r\n$0\r\n\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
      "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";
  EXPECT_EQ(reply({"CLUSTER", "SHARDS"}, resp::Protocol::kResp2),
            expected("*1\r\n*4\r\n" + body + "*14\r\n" + node));
  EXPECT_EQ(reply({"CLUSTER", "SHARDS"}, resp::Protocol::kResp3),
            expected("*1\r\n%2\r\n" + body + "%7\r\n" + node));
}

TEST_F(ClusterFace, InfoNodesMyidKeyslot) {
  const std::string info =
      "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"
      "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\n"
      "cluster_size:1\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n"
      "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
      "total_cluster_links_buffer_limit_exceeded:0\r\n";
  EXPECT_EQ(reply({"CLUSTER", "INFO"}, resp::Protocol::kResp2), "$312\r\n" + info + "\r\n");
  EXPECT_EQ(reply({"CLUSTER", "INFO"}, resp::Protocol::kResp3), "=316\r\ntxt:" + info + "\r\n");
  const std::string line = id_ + " 10.0.0.9:7000@0 myself,master - 0 0 0 connected 0-16383\n";
  EXPECT_EQ(reply({"CLUSTER", "NODES"}, resp::Protocol::kResp2),
            "$" + std::to_string(line.size()) + "\r\n" + line + "\r\n");
  EXPECT_EQ(reply({"CLUSTER", "MYID"}, resp::Protocol::kResp3), "$40\r\n" + id_ + "\r\n");
  EXPECT_EQ(reply({"CLUSTER", "KEYSLOT", "foo"}, resp::Protocol::kResp2), ":12182\r\n");
  EXPECT_EQ(reply({"CLUSTER", "KEYSLOT", "{user1}.a"}, resp::Protocol::kResp2), ":8106\r\n");
}

TEST_F(ClusterFace, WildcardAddressIsSentEmptyAsRedisDoes) {
  address_ = ClusterAddress{"", 7000};
  EXPECT_EQ(reply({"CLUSTER", "SLOTS"}, resp::Protocol::kResp2).substr(0, 37),
            "*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$0\r\n\r\n:7000\r\n");
}

}  // namespace
}  // namespace funnel::plan
