// ReplyRouter without sockets: replies for another worker's clients and requests for another
// worker's links leave in one post per destination per turn of the event loop, in order; replies
// for this worker's clients that have left are dropped and still end their request in the
// metrics; streamed parts cross without pausing the link; reports go to the control side.
#include "client/reply_router.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace funnel::client {
namespace {

struct Posts : PeerWorkers {
  void post_requests(unsigned worker, HandoffBatch&& batch) override {
    requests.emplace_back(worker, std::move(batch));
  }
  void post_replies(unsigned worker, ReplyBatch&& batch) override {
    replies.emplace_back(worker, std::move(batch));
  }
  void request_reresolve(std::uint64_t epoch_seen) override { reresolves.push_back(epoch_seen); }
  void request_cluster_refresh() override { ++cluster_refreshes; }
  int cluster_refreshes = 0;
  void report_node_failure(std::uint32_t node, std::string reason) override {
    failures.emplace_back(node, std::move(reason));
  }
  std::vector<std::pair<unsigned, HandoffBatch>> requests;
  std::vector<std::pair<unsigned, ReplyBatch>> replies;
  std::vector<std::uint64_t> reresolves;
  std::vector<std::pair<std::uint32_t, std::string>> failures;
};

backend::ReplyTarget target_on(unsigned worker, std::uint64_t seq) {
  backend::ReplyTarget target;
  target.worker = static_cast<std::uint16_t>(worker);
  target.session_index = 7;
  target.session_generation = 3;
  target.seq = seq;
  return target;
}

std::string_view bytes_of(const ReplyBatch& batch, std::size_t i) {
  return std::string_view(batch.bytes).substr(batch.replies[i].offset, batch.replies[i].length);
}

class ReplyRouterTest : public ::testing::Test {
 protected:
  ReplyRouterTest() { ctx.metrics = &metrics; }
  void turn() {
    io.restart();
    io.poll();
  }

  asio::io_context io;
  config::Config config;
  ProcessFacts facts;
  metrics::WorkerMetrics metrics;
  SessionContext ctx{io, 0, config, facts};
  Posts posts;
  ReplyRouter router{ctx, posts, 3};
  const backend::ReplyTiming timing{5, 10};
};

TEST_F(ReplyRouterTest, AReplyForAClientThatLeftIsDroppedAndEndsItsRequest) {
  router.deliver(target_on(0, 1), "+OK\r\n", timing);
  turn();
  EXPECT_EQ(metrics.requests_in_flight_down.read(), 1u);
  EXPECT_TRUE(posts.replies.empty());
}

TEST_F(ReplyRouterTest, RepliesForOtherWorkersLeaveInOnePostPerDestinationPerTurn) {
  router.deliver(target_on(1, 1), "+a\r\n", timing);
  router.deliver(target_on(2, 1), ":1\r\n", timing);
  router.deliver(target_on(1, 2), "$1\r\nb\r\n", timing);
  router.deliver(target_on(1, 3), "-ERR c\r\n", timing);
  router.deliver(target_on(2, 2), ":2\r\n", timing);
  EXPECT_TRUE(posts.replies.empty());  // posted: the rest of this turn joins the batch
  turn();
  ASSERT_EQ(posts.replies.size(), 2u);
  const auto& [first_worker, first] = posts.replies[0];
  EXPECT_EQ(first_worker, 1u);
  ASSERT_EQ(first.replies.size(), 3u);
  EXPECT_EQ(bytes_of(first, 0), "+a\r\n");
  EXPECT_EQ(bytes_of(first, 1), "$1\r\nb\r\n");
  EXPECT_EQ(bytes_of(first, 2), "-ERR c\r\n");
  EXPECT_EQ(first.replies[2].target.seq, 3u);
  EXPECT_EQ(first.replies[0].backend_ns, 5);
  EXPECT_FALSE(first.replies[0].is_part);
  const auto& [second_worker, second] = posts.replies[1];
  EXPECT_EQ(second_worker, 2u);
  ASSERT_EQ(second.replies.size(), 2u);
  EXPECT_EQ(bytes_of(second, 1), ":2\r\n");
  EXPECT_EQ(metrics.requests_in_flight_down.read(), 0u);  // counted where the client lives
}

TEST_F(ReplyRouterTest, HandOffsLeaveWithTheRepliesOfTheSameTurn) {
  router.hand_off(2, backend::kPrimaryNode, resp::Protocol::kResp2, 0, "*1\r\n$4\r\nPING\r\n",
                  target_on(0, 1), 100, 0);
  router.hand_off(2, 9, resp::Protocol::kResp3, 1, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
                  target_on(0, 2), 200, 4);
  router.deliver(target_on(2, 5), "+OK\r\n", timing);
  turn();
  ASSERT_EQ(posts.requests.size(), 1u);
  const auto& [worker, batch] = posts.requests[0];
  EXPECT_EQ(worker, 2u);
  ASSERT_EQ(batch.requests.size(), 2u);
  const HandoffRequest& get = batch.requests[1];
  EXPECT_EQ(std::string_view(batch.bytes).substr(get.offset, get.length),
            "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  EXPECT_EQ(get.node, 9u);
  EXPECT_EQ(get.protocol, resp::Protocol::kResp3);
  EXPECT_EQ(get.link_index, 1u);
  EXPECT_EQ(get.deadline, 200);
  EXPECT_EQ(get.db, 4u);
  EXPECT_EQ(get.target.seq, 2u);
  ASSERT_EQ(posts.replies.size(), 1u);
  EXPECT_EQ(posts.replies[0].first, 2u);
}

TEST_F(ReplyRouterTest, EachTurnPostsItsOwnBatch) {
  router.deliver(target_on(1, 1), "+a\r\n", timing);
  turn();
  router.deliver(target_on(1, 2), "+b\r\n", timing);
  turn();
  turn();  // nothing new: nothing posted
  ASSERT_EQ(posts.replies.size(), 2u);
  EXPECT_EQ(bytes_of(posts.replies[1].second, 0), "+b\r\n");
  EXPECT_EQ(posts.replies[1].second.replies.size(), 1u);
}

TEST_F(ReplyRouterTest, PartsForAnotherWorkerCrossInOrderWithoutPausingTheLink) {
  EXPECT_EQ(
      router.deliver_part(target_on(1, 1), "$10\r\n01234", backend::PartKind::kMore, timing, {}),
      backend::PartVerdict::kMore);
  EXPECT_EQ(router.deliver_part(target_on(1, 1), "56789\r\n", backend::PartKind::kLast, timing, {}),
            backend::PartVerdict::kMore);
  turn();
  ASSERT_EQ(posts.replies.size(), 1u);
  const ReplyBatch& batch = posts.replies[0].second;
  ASSERT_EQ(batch.replies.size(), 2u);
  EXPECT_TRUE(batch.replies[0].is_part);
  EXPECT_EQ(batch.replies[0].part_kind, backend::PartKind::kMore);
  EXPECT_EQ(batch.replies[1].part_kind, backend::PartKind::kLast);
  EXPECT_EQ(bytes_of(batch, 1), "56789\r\n");
}

TEST_F(ReplyRouterTest, APartForAClientThatLeftIsDiscardedAndTheLastEndsTheRequest) {
  EXPECT_EQ(
      router.deliver_part(target_on(0, 1), "$10\r\n01234", backend::PartKind::kMore, timing, {}),
      backend::PartVerdict::kDiscard);
  EXPECT_EQ(metrics.requests_in_flight_down.read(), 0u);
  EXPECT_EQ(router.deliver_part(target_on(0, 1), "56789\r\n", backend::PartKind::kLast, timing, {}),
            backend::PartVerdict::kDiscard);
  EXPECT_EQ(metrics.requests_in_flight_down.read(), 1u);
}

// What another worker posted for clients of this one: each reply ends its request here.
TEST_F(ReplyRouterTest, AcceptedRepliesReachThisWorkersRegistry) {
  ReplyBatch batch;
  batch.bytes = "+a\r\n$3\r\nxyz";
  batch.replies.push_back(HandoffReply{target_on(0, 1), 0, 4, 0});
  batch.replies.push_back(HandoffReply{target_on(0, 2), 4, 8, 0, true, backend::PartKind::kMore});
  router.accept_replies(batch);
  EXPECT_EQ(metrics.requests_in_flight_down.read(), 1u);  // the part does not end its request
  turn();
  EXPECT_TRUE(posts.replies.empty());
}

TEST_F(ReplyRouterTest, ReresolveRequestsGoToTheControlSide) {
  router.request_reresolve(42);
  EXPECT_EQ(posts.reresolves, std::vector<std::uint64_t>{42});
}

}  // namespace
}  // namespace funnel::client
