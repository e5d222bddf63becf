// Issue #16, item 4: sharded pub/sub through Funnel in front of a real 3+3 Redis Cluster.
// SSUBSCRIBE to shard channels of every shard: SPUBLISH through Funnel reaches them as `smessage`
// pushes byte for byte as a client subscribed on the node itself gets them (RESP2 and RESP3),
// on one subscriber link per primary for the whole process; one SSUBSCRIBE's channels must share
// a slot (CROSSSLOT, as Redis); when a channel's slot moves, the node's `sunsubscribe` reaches
// the client as it would reach a client of the node.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "routing/key_slot.hpp"
#include "support/redis_cluster.hpp"

namespace funnel::test {
namespace {

std::string node_id(std::uint16_t port) {
  RespConnection conn(port);
  return std::string(conn.command({"CLUSTER", "MYID"}).as_string().value_or(""));
}

int links_named(std::uint16_t port, std::string_view prefix) {
  RespConnection conn(port);
  const std::string list(conn.command({"CLIENT", "LIST"}).as_string().value_or(""));
  int count = 0;
  for (std::size_t at = 0; (at = list.find(" name=", at)) != std::string::npos;) {
    at += 6;
    count += std::string_view(list).substr(at).starts_with(prefix) ? 1 : 0;
  }
  return count;
}

class ClusterPubsub : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = RedisCluster::start().release(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    funnel_ = FunnelProcess::start(
        {"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)), "--workers", "2"});
    // One channel per primary, named so each lands on a different shard.
    for (std::uint16_t port : cluster_->primary_ports()) {
      for (int i = 0;; ++i) {
        const std::string name = "news:" + std::to_string(i);
        if (cluster_->primary_port_for_slot(routing::key_slot(name)) != port) continue;
        if (std::find(channels_.begin(), channels_.end(), name) != channels_.end()) continue;
        channels_.push_back(name);
        owners_.push_back(port);
        break;
      }
    }
  }
  void TearDown() override {
    if (funnel_) {
      EXPECT_EQ(funnel_->stop(), 0) << funnel_->log_text();
    }
  }

  static RedisCluster* cluster_;
  std::unique_ptr<FunnelProcess> funnel_;
  std::vector<std::string> channels_;
  std::vector<std::uint16_t> owners_;
};
RedisCluster* ClusterPubsub::cluster_ = nullptr;

TEST_F(ClusterPubsub, SubscribersOnEveryShardGetSpublishedMessagesAsFromRedis) {
  ASSERT_EQ(channels_.size(), 3u);
  for (const bool resp3 : {false, true}) {
    RespConnection through(funnel_->port());
    if (resp3) through.command({"HELLO", "3"});
    std::vector<std::unique_ptr<RespConnection>> direct;
    for (std::size_t i = 0; i < channels_.size(); ++i) {
      direct.push_back(std::make_unique<RespConnection>(owners_[i]));
      if (resp3) direct.back()->command({"HELLO", "3"});
      direct.back()->send_command({"SSUBSCRIBE", channels_[i]});
      const std::string direct_confirm = direct.back()->read_raw_reply();
      through.send_command({"SSUBSCRIBE", channels_[i]});
      const std::string confirm = through.read_raw_reply();
      // The count is the client's own: 1, 2, 3 through Funnel; 1 on each node.
      EXPECT_TRUE(confirm.starts_with(direct_confirm.substr(0, direct_confirm.size() - 3)))
          << confirm << " vs " << direct_confirm;
    }
    RespConnection publisher(funnel_->port());
    for (std::size_t i = 0; i < channels_.size(); ++i) {
      const std::string text = "hello " + std::to_string(i) + (resp3 ? " resp3" : "");
      EXPECT_GE(publisher.command({"SPUBLISH", channels_[i], text}).integer, 1) << channels_[i];
      const std::string expected = direct[i]->read_raw_reply();
      EXPECT_NE(expected.find("smessage"), std::string::npos) << expected;
      EXPECT_EQ(through.read_raw_reply(), expected) << channels_[i];
    }
  }
  // One subscriber link per primary for the whole process (2 workers, 2 clients).
  for (std::size_t i = 0; i < owners_.size(); ++i) {
    EXPECT_EQ(links_named(owners_[i], "funnel:subscriber:shard:"), 1) << owners_[i];
  }
  for (std::uint16_t port : cluster_->replica_ports()) {
    EXPECT_EQ(links_named(port, "funnel:subscriber:"), 0) << port;
  }
}

TEST_F(ClusterPubsub, OneSsubscribesChannelsMustShareASlot) {
  RespConnection through(funnel_->port());
  RespConnection direct(owners_[0]);
  for (const std::string& command : {std::string("SSUBSCRIBE"), std::string("SUNSUBSCRIBE")}) {
    through.send_command({command, channels_[0], channels_[1]});
    direct.send_command({command, channels_[0], channels_[1]});
    EXPECT_EQ(through.read_raw_reply(), direct.read_raw_reply()) << command;
  }
  through.send_command({"SSUBSCRIBE", "{t}a", "{t}b"});
  EXPECT_EQ(through.read_raw_reply(), "*3\r\n$10\r\nssubscribe\r\n$4\r\n{t}a\r\n:1\r\n");
  EXPECT_EQ(through.read_raw_reply(), "*3\r\n$10\r\nssubscribe\r\n$4\r\n{t}b\r\n:2\r\n");
}

// Issue #16 item 8: a shard's subscriber link is PINGed as the main one is. A primary that stops
// answering its clients (CLIENT PAUSE ALL: their commands wait, PING too, checked against
// redis-server 7.0; the cluster bus goes on, so nothing fails over) is noticed within the PING
// interval and backend.link_stall_timeout_ms; the link is replaced and the channel subscribed again
// on the new one, the client staying subscribed: it gets the next message.
TEST_F(ClusterPubsub, AShardSubscriberLinkThatStopsAnsweringIsReplaced) {
  TempDir dir("funnel-cluster-pubsub-ping");
  ASSERT_EQ(funnel_->stop(), 0);
  funnel_ = FunnelProcess::start(
      {"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)), "--workers", "2", "--config",
       dir.write("funnel.toml",
                 "[backend]\nrequest_timeout_ms = 300\nlink_stall_timeout_ms = 600\n")});
  const std::string channel = channels_[1];
  const std::uint16_t owner = owners_[1];
  RespConnection sub(funnel_->port());
  sub.send_command({"SSUBSCRIBE", channel});
  ASSERT_NE(sub.read_raw_reply().find("ssubscribe"), std::string::npos);
  {
    RespConnection admin(owner);
    ASSERT_EQ(admin.command({"CLIENT", "PAUSE", "6000", "ALL"}).str, "OK");
  }
  const bool noticed = wait_until(
      [&] {
        const std::string log = funnel_->log_text();
        const std::size_t at = log.find("funnel:subscriber:shard:");
        return at != std::string::npos && log.find("answered no PING", at) != std::string::npos;
      },
      std::chrono::seconds(8));
  ASSERT_TRUE(noticed) << funnel_->log_text();
  // Once the pause is over, the new link has subscribed the channel again.
  ASSERT_TRUE(wait_until(
      [&] {
        RespConnection direct(owner, std::chrono::seconds(10));
        return direct.command({"SPUBLISH", channel, "after"}).integer >= 1;
      },
      std::chrono::seconds(20)));
  sub.set_timeout(std::chrono::seconds(10));
  const std::string message = sub.read_raw_reply();
  EXPECT_NE(message.find("smessage"), std::string::npos) << message;
  EXPECT_NE(message.find("after"), std::string::npos) << message;
  EXPECT_TRUE(wait_until([&] { return links_named(owner, "funnel:subscriber:shard:") == 1; }));
}

// Redis 7.0 sends sunsubscribe to a shard channel's subscribers when the node loses the slot;
// through Funnel the client gets the same push (its own count), and leaves subscribe mode.
TEST_F(ClusterPubsub, ASlotMoveEndsTheSubscriptionWithSunsubscribe) {
  const std::string channel = channels_[2];
  const std::uint16_t slot = routing::key_slot(channel);
  const std::uint16_t source = owners_[2];
  const std::uint16_t target = owners_[0];
  RespConnection through(funnel_->port());
  through.send_command({"SSUBSCRIBE", channel});
  ASSERT_EQ(through.read_raw_reply(), "*3\r\n$10\r\nssubscribe\r\n$" +
                                          std::to_string(channel.size()) + "\r\n" + channel +
                                          "\r\n:1\r\n");
  const std::string s = std::to_string(slot);
  {
    RespConnection to(target), from(source);
    ASSERT_EQ(to.command({"CLUSTER", "SETSLOT", s, "IMPORTING", node_id(source)}).str, "OK");
    ASSERT_EQ(from.command({"CLUSTER", "SETSLOT", s, "MIGRATING", node_id(target)}).str, "OK");
    for (std::uint16_t port : cluster_->primary_ports()) {
      RespConnection conn(port);
      ASSERT_EQ(conn.command({"CLUSTER", "SETSLOT", s, "NODE", node_id(target)}).str, "OK");
    }
    ASSERT_TRUE(cluster_->wait_converged());
  }
  through.set_timeout(std::chrono::seconds(10));
  EXPECT_EQ(through.read_raw_reply(), "*3\r\n$12\r\nsunsubscribe\r\n$" +
                                          std::to_string(channel.size()) + "\r\n" + channel +
                                          "\r\n:0\r\n");
  EXPECT_EQ(through.command({"PING"}).str, "PONG");  // out of subscribe mode
  // Subscribing again reaches the slot's new owner once Funnel's map has it (an SPUBLISH meets
  // the MOVED, which has the map read at once).
  RespConnection publisher(funnel_->port());
  EXPECT_EQ(publisher.command({"SPUBLISH", channel, "nobody"}).integer, 0);
  ASSERT_TRUE(wait_until([&] {
    try {
      RespConnection sub(funnel_->port(), std::chrono::seconds(2));
      sub.send_command({"SSUBSCRIBE", channel});
      if (sub.read_raw_reply().find("ssubscribe") == std::string::npos) return false;
      return publisher.command({"SPUBLISH", channel, "moved"}).integer == 1 &&
             sub.read_raw_reply().find("moved") != std::string::npos;
    } catch (const std::exception&) {
      return false;  // not confirmed in time: the map was still the old one
    }
  }));
  // Give the slot back for the other tests.
  {
    RespConnection to(source), from(target);
    ASSERT_EQ(to.command({"CLUSTER", "SETSLOT", s, "IMPORTING", node_id(target)}).str, "OK");
    ASSERT_EQ(from.command({"CLUSTER", "SETSLOT", s, "MIGRATING", node_id(source)}).str, "OK");
    for (std::uint16_t port : cluster_->primary_ports()) {
      RespConnection conn(port);
      ASSERT_EQ(conn.command({"CLUSTER", "SETSLOT", s, "NODE", node_id(source)}).str, "OK");
    }
    ASSERT_TRUE(cluster_->wait_converged());
  }
}

}  // namespace
}  // namespace funnel::test
