// ReplyRouter's cluster redirects (client/redirects.cpp) where no link is needed: what is not
// followed, and a MOVED to an address the map does not list (a script's forgery, or a node not
// known yet), which waits for a map read begun after it and is answered with its own error if
// that map does not list the address either.
#include <gtest/gtest.h>

#include "../routing/parse_reply.hpp"
#include "client/reply_router.hpp"

namespace funnel::client {
namespace {

struct Posts : PeerWorkers {
  void post_requests(unsigned, HandoffBatch&&) override {}
  void post_replies(unsigned worker, ReplyBatch&& batch) override {
    replies.emplace_back(worker, std::move(batch));
  }
  void request_reresolve(std::uint64_t) override {}
  void report_node_failure(std::uint32_t, std::string) override {}
  void request_cluster_refresh() override { ++cluster_refreshes; }
  std::vector<std::pair<unsigned, ReplyBatch>> replies;
  int cluster_refreshes = 0;
};

// One shard (every slot) on 10.0.0.1:6379 with a replica 10.0.0.2:6379 (no links to it: policy
// primary), read at `read_started_ms`.
std::shared_ptr<backend::ClusterLayout> one_shard(std::int64_t read_started_ms) {
  auto layout = std::make_shared<backend::ClusterLayout>();
  std::string error;
  const std::string reply =
      "*1\r\n*4\r\n:0\r\n:16383\r\n*2\r\n$8\r\n10.0.0.1\r\n:6379\r\n"
      "*2\r\n$8\r\n10.0.0.2\r\n:6379\r\n";
  EXPECT_TRUE(layout->map.assign(routing::parse(reply), {"10.0.0.9", 1, ""}, error)) << error;
  backend::BackendSnapshot links;
  links.address = "10.0.0.1:6379";
  backend::ClusterShard shard;
  shard.primary = {backend::ClusterLayout::kClusterNodeBase,
                   std::make_shared<const backend::BackendSnapshot>(links), true};
  layout->shards.push_back(shard);
  layout->read_started_ms = read_started_ms;
  return layout;
}

class RedirectsTest : public ::testing::Test {
 protected:
  RedirectsTest() { ctx.metrics = &metrics; }
  void use(std::shared_ptr<backend::ClusterLayout> layout) {
    layouts.push_back(layout);
    ctx.cluster_routes.layout = layout;
    ctx.cluster_routes.primaries = {nullptr};  // never reached for an unlisted address
    ctx.cluster_routes.replicas = {{}};
    ctx.slot_map = &layout->map;
  }
  bool redirect(std::string_view reply, std::uint8_t redirects = 0,
                common::Millis deadline = common::coarse_now_ms() + 5000) {
    backend::ReplyTarget target;
    target.worker = 1;  // another worker's client: the answer shows in posts.replies
    target.seq = 4;
    target.redirects = redirects;
    return router.redirect(resp::Protocol::kResp2, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", target,
                           deadline, reply, "10.0.0.1:6379");
  }
  std::vector<std::string> answered() {
    io.restart();
    io.poll();
    std::vector<std::string> out;
    for (const auto& [worker, batch] : posts.replies) {
      for (const auto& reply : batch.replies) {
        out.push_back(batch.bytes.substr(reply.offset, reply.length));
      }
    }
    return out;
  }

  asio::io_context io;
  config::Config config;
  ProcessFacts facts;
  metrics::WorkerMetrics metrics;
  SessionContext ctx{io, 0, config, facts};
  Posts posts;
  ReplyRouter router{ctx, posts, 3};
  std::vector<std::shared_ptr<backend::ClusterLayout>> layouts;
};

TEST_F(RedirectsTest, NothingIsFollowedOutsideClusterMode) {
  EXPECT_FALSE(redirect("-MOVED 1 10.0.0.1:6379\r\n"));
  EXPECT_EQ(posts.cluster_refreshes, 0);
}

TEST_F(RedirectsTest, OtherErrorsAndTheSixthRedirectReachTheClient) {
  use(one_shard(0));
  EXPECT_FALSE(redirect("-ERR MOVED 1 10.0.0.1:6379\r\n"));
  EXPECT_FALSE(redirect("-CROSSSLOT Keys in request don't hash to the same slot\r\n"));
  EXPECT_FALSE(redirect("-MOVED 1 10.0.0.1:6379\r\n", 5));
  // No room in the deadline for the first backoff: the client gets the error now.
  EXPECT_FALSE(redirect("-TRYAGAIN Multiple keys request during rehashing of slot\r\n", 0,
                        common::coarse_now_ms() + 5));
}

TEST_F(RedirectsTest, AMovedToAnUnlistedAddressWaitsForAMapReadBegunAfterIt) {
  use(one_shard(common::coarse_now_ms() - 1000));
  ASSERT_TRUE(redirect("-MOVED 1 127.0.0.1:1\r\n"));
  EXPECT_EQ(posts.cluster_refreshes, 1);
  EXPECT_TRUE(answered().empty());  // parked, not connected anywhere
  // A map read that began before the MOVED proves nothing: still waiting.
  use(one_shard(common::coarse_now_ms() - 500));
  router.on_cluster_layout();
  EXPECT_TRUE(answered().empty());
  // One begun after it, still without the address: the client gets the original error.
  use(one_shard(common::coarse_now_ms() + 1));
  router.on_cluster_layout();
  EXPECT_EQ(answered(), std::vector<std::string>{"-MOVED 1 127.0.0.1:1\r\n"});
  router.on_cluster_layout();
  EXPECT_EQ(answered().size(), 1u);  // answered once
}

// A failover seen half-way: the MOVED names the promoted replica, which the map read still lists
// as a replica. Not an unknown address: it waits for a later read (or its deadline).
TEST_F(RedirectsTest, AMovedToAListedReplicaWaitsForTheMapToShowItAsAPrimary) {
  use(one_shard(0));
  ASSERT_TRUE(redirect("-MOVED 1 10.0.0.2:6379\r\n"));
  use(one_shard(common::coarse_now_ms() + 1));
  router.on_cluster_layout();
  EXPECT_TRUE(answered().empty());
  EXPECT_EQ(posts.cluster_refreshes, 2);  // the MOVED's, and one more for the next read
}

TEST_F(RedirectsTest, AParkedRedirectIsAnsweredAtItsDeadline) {
  use(one_shard(0));
  const common::Millis deadline = common::coarse_now_ms() + 1000;
  ASSERT_TRUE(redirect("-ASK 1 127.0.0.1:1\r\n", 0, deadline));
  router.expire_parked(deadline - 1);
  EXPECT_TRUE(answered().empty());
  router.expire_parked(deadline);
  EXPECT_EQ(answered(), std::vector<std::string>{"-ASK 1 127.0.0.1:1\r\n"});
}

}  // namespace
}  // namespace funnel::client
