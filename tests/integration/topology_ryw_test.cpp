// Read-your-writes through the funnel binary (issue #5, docs/topology.md#read-your-writes): a
// replica whose replication link runs through a TcpForwarder the test pauses falls behind its
// primary while it keeps serving reads, so a read that reached it would return the old value.
// With topology.read_your_writes = client a connection never reads older than its own writes; with
// process, no connection reads older than any write that went through Funnel before it.
#include <gtest/gtest.h>

#include "tcp_forwarder.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

class ReadYourWritesTest : public TopologyFixture {
 protected:
  // A primary, one replica replicating through relay_, Funnel reading from the replica only.
  void start(const std::string& scope) {
    primary_ = RedisServer::start();
    relay_ = std::make_unique<TcpForwarder>(primary_->port());
    replicas_.push_back(RedisServer::start_replica_of(relay_->port()));
    start_funnel({"--read-policy", "replica", "--read-your-writes", scope});
    ASSERT_TRUE(wait_for_replica_reads()) << funnel_->log_text();
  }
  void TearDown() override {
    if (relay_) relay_->set_paused(false);
    TopologyFixture::TearDown();
  }
  // The replica has caught up with value (read straight from it).
  void wait_replica_has(const std::string& key, const std::string& value) {
    RespConnection direct(replicas_[0]->port());
    ASSERT_TRUE(wait_until([&] {
      return direct.command({"GET", key}).str == value;
    })) << "the replica never caught up with "
        << key << " = " << value;
  }

  std::unique_ptr<TcpForwarder> relay_;
};

constexpr int kRounds = 100;

TEST_F(ReadYourWritesTest, ClientScopeAConnectionAlwaysReadsItsOwnWrites) {
  ASSERT_NO_FATAL_FAILURE(start("client"));
  RespConnection writer(funnel_->port());
  RespConnection bystander(funnel_->port());
  int own_stale = 0;
  int bystander_stale = 0;
  for (int i = 0; i < kRounds; ++i) {
    const std::string value = "v" + std::to_string(i);
    relay_->set_paused(true);  // the replica does not get this write until the round ends
    ASSERT_EQ(writer.command({"SET", "ryw:key", value}).str, "OK");
    const std::string own = writer.command({"GET", "ryw:key"}).str;
    if (own != value) {
      ++own_stale;
      ADD_FAILURE() << "round " << i << ": the writer read " << own << " after writing " << value;
    }
    // A connection that wrote nothing reads the replica, which does not have the value yet.
    bystander_stale += bystander.command({"GET", "ryw:key"}).str != value;
    relay_->set_paused(false);
    wait_replica_has("ryw:key", value);
  }
  EXPECT_EQ(own_stale, 0);
  // The test has teeth: the replica stayed in the read set and really was behind.
  EXPECT_GT(bystander_stale, 0) << "the bystander never read the lagging replica";
  std::printf("client scope: writer stale %d/%d, bystander (no writes) stale %d/%d\n", own_stale,
              kRounds, bystander_stale, kRounds);
  EXPECT_GE(command_calls(primary_->port(), "get"), kRounds);  // the writer's reads
}

TEST_F(ReadYourWritesTest, ProcessScopeANewConnectionReadsEarlierWrites) {
  ASSERT_NO_FATAL_FAILURE(start("process"));
  RespConnection writer(funnel_->port());
  int stale = 0;
  for (int i = 0; i < kRounds; ++i) {
    const std::string value = "v" + std::to_string(i);
    relay_->set_paused(true);
    ASSERT_EQ(writer.command({"SET", "ryw:key", value}).str, "OK");
    // The serverless pattern: the next invocation reads on a new connection.
    RespConnection reader(funnel_->port());
    const std::string read = reader.command({"GET", "ryw:key"}).str;
    if (read != value) {
      ++stale;
      ADD_FAILURE() << "round " << i << ": a new connection read " << read << " after " << value;
    }
    EXPECT_EQ(writer.command({"GET", "ryw:key"}).str, value);
    relay_->set_paused(false);
    wait_replica_has("ryw:key", value);
  }
  EXPECT_EQ(stale, 0);
  // Once the replica has caught up, reads go back to it.
  reset_all_stats();
  EXPECT_TRUE(wait_until([&] {
    get_on_fresh_connection(funnel_->port(), "ryw:key");
    return command_calls(replicas_[0]->port(), "get") > 0;
  }));
}

}  // namespace
}  // namespace funnel::test
