// Failure under load: clients vanishing mid-pipeline, Funnel's links killed, a backend that
// answers too late or not at all, a backend restart, a primary moving behind the same address.
// Replies may turn into errors; a reply must never reach the wrong client.
#include <fstream>
#include <future>
#include <thread>

#include "harness.hpp"
#include "load_clients.hpp"
#include "support/fake_backend.hpp"
#include "tcp_forwarder.hpp"

namespace funnel::test {
namespace {

LoadOptions load_for(std::uint16_t port, int clients, int rounds) {
  LoadOptions options;
  options.port = port;
  options.clients = clients;
  options.rounds = rounds;
  options.pipeline = 8;
  options.deadline = std::chrono::seconds(120);
  return options;
}

class ChaosTest : public ProxyFixture {};

TEST_F(ChaosTest, ClientsLeavingMidPipelineNeverGetOthersReplies) {
  start({"--workers", "2"});
  LoadOptions options = load_for(funnel_->port(), reduced_scale() ? 100 : 400, 20);
  options.disconnect_probability = 0.25;
  const LoadResult result = run_load(options);
  EXPECT_EQ(result.mismatches, 0u) << result.summary();
  EXPECT_EQ(result.error_replies, 0u) << result.summary();
  EXPECT_GT(result.dropped_connections, 0u);
  EXPECT_GT(result.ok_replies, 0u);
  EXPECT_FALSE(result.timed_out) << result.summary();
}

TEST_F(ChaosTest, KilledLinksUnderLoadLoseNoReplyToAnotherClient) {
  start({"--workers", "2"});
  auto load = std::async(std::launch::async, [&] {
    return run_load(load_for(funnel_->port(), reduced_scale() ? 50 : 200, 60));
  });
  RespConnection admin(redis_->port());
  int kills = 0;
  while (load.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready && kills < 20) {
    const std::string list = admin.command({"CLIENT", "LIST"}).str;
    for (std::size_t pos = 0; (pos = list.find("id=", pos)) != std::string::npos; ++pos) {
      const std::size_t line_end = list.find('\n', pos);
      const std::string line = list.substr(pos, line_end - pos);
      if (line.find("name=funnel:shared") == std::string::npos) continue;
      const std::string id = line.substr(3, line.find(' ') - 3);
      admin.command({"CLIENT", "KILL", "ID", id});
      ++kills;
      break;
    }
  }
  const LoadResult result = load.get();
  EXPECT_GT(kills, 0);
  EXPECT_EQ(result.mismatches, 0u) << result.summary();
  EXPECT_GT(result.ok_replies, 0u) << result.summary();
  RespConnection after(funnel_->port());
  EXPECT_TRUE(wait_until([&] { return after.command({"SET", "after", "1"}).str == "OK"; }));
}

TEST(ChaosFake, LateReplyIsDiscardedAndItsNeighboursStayCorrect) {
  auto backend = FakeBackend::start([](const std::vector<std::string>& args, int) {
    if (args.size() == 2 && args[0] == "GET" && args[1] == "slow") {
      return FakeBackend::Action::reply_after(std::chrono::milliseconds(700), "$4\r\nslow\r\n");
    }
    if (args.size() == 2 && args[0] == "GET") {
      return FakeBackend::Action::reply("$" + std::to_string(args[1].size()) + "\r\n" + args[1] +
                                        "\r\n");
    }
    return FakeBackend::Action::default_reply();
  });
  auto funnel = FunnelProcess::start(
      {"--backend", backend_arg(backend->port()), "--workers", "1", "--request-timeout-ms", "300"});
  RespConnection a(funnel->port());
  RespConnection b(funnel->port());
  a.send_command({"GET", "slow"});
  ASSERT_TRUE(backend_saw(*backend, "GET"));
  a.send_command({"GET", "a-key"});
  b.send_command({"GET", "b-key"});
  const resp::Value slow = a.read_value();
  ASSERT_TRUE(slow.is_error());
  EXPECT_NE(slow.str.find("may or may not have run"), std::string::npos) << slow.str;
  // The two requests queued behind the slow one either time out too or get their own value.
  for (auto* connection : {&a, &b}) {
    const resp::Value reply = connection->read_value();
    const std::string expected = connection == &a ? "a-key" : "b-key";
    EXPECT_TRUE(reply.is_error() || reply.str == expected) << reply.str;
  }
  // Once the late reply has come and gone, the link serves correctly again.
  EXPECT_TRUE(wait_until([&] { return a.command({"GET", "fresh"}).str == "fresh"; }));
  EXPECT_EQ(b.command({"GET", "other"}).str, "other");
  EXPECT_EQ(funnel->stop(), 0);
}

TEST(ChaosFake, StalledLinkIsClosedAndReplaced) {
  std::atomic<bool> hang{true};
  auto backend = FakeBackend::start([&](const std::vector<std::string>& args, int) {
    if (args.size() == 2 && args[0] == "GET" && args[1] == "hang" && hang.exchange(false)) {
      return FakeBackend::Action::hang();
    }
    if (args.size() == 2 && args[0] == "GET") {
      return FakeBackend::Action::reply("$2\r\nok\r\n");
    }
    return FakeBackend::Action::default_reply();
  });
  TempDir dir("funnel-stall");
  const std::string config = dir.path() + "/funnel.toml";
  std::ofstream(config) << "[backend]\nrequest_timeout_ms = 200\nlink_stall_timeout_ms = 500\n";
  auto funnel = FunnelProcess::start(
      {"--backend", backend_arg(backend->port()), "--workers", "1", "--config", config});
  RespConnection c(funnel->port());
  const int links_before = backend->connections_accepted();
  EXPECT_TRUE(c.command({"GET", "hang"}).is_error());
  ASSERT_TRUE(wait_until([&] { return backend->connections_accepted() > links_before; }))
      << funnel->log_text();
  std::string last;
  EXPECT_TRUE(wait_until([&] {
    return (last = c.command({"GET", "x"}).str) == "ok";
  })) << last
      << "\n"
      << funnel->log_text();
  EXPECT_NE(funnel->log_text().find("closing the link"), std::string::npos);
  EXPECT_EQ(funnel->stop(), 0);
}

TEST_F(ChaosTest, BackendRestartMidLoadRecoversOnItsOwn) {
  start({"--workers", "2", "--request-timeout-ms", "1000", "--connect-timeout-ms", "300"});
  // Long enough to outlast the outage by far: the test is only meaningful if the load is still
  // running when the backend goes away (checked below), whatever the machine's speed.
  LoadOptions options = load_for(funnel_->port(), reduced_scale() ? 30 : 100, 3000);
  options.pipeline = 2;
  auto load = std::async(std::launch::async, [&] { return run_load(options); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the load get going
  ASSERT_EQ(load.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "the load finished before the backend was stopped; make it longer";
  redis_->stop();
  {
    // While the backend is down every request gets an error within the timeout.
    RespConnection probe(funnel_->port(), std::chrono::milliseconds(4000));
    const resp::Value reply = probe.command({"GET", "k"});
    EXPECT_TRUE(reply.is_error()) << reply.str;
    EXPECT_NE(reply.str.find("ERR funnel:"), std::string::npos) << reply.str;
  }
  redis_->restart();
  const LoadResult result = load.get();
  EXPECT_EQ(result.mismatches, 0u) << result.summary();
  EXPECT_GT(result.error_replies, 0u) << result.summary();
  RespConnection after(funnel_->port());
  EXPECT_TRUE(wait_until(
      [&] {
        return after.command({"SET", "back", "1"}).str == "OK";
      },
      std::chrono::seconds(15)));
  EXPECT_TRUE(funnel_->alive());
}

TEST(ChaosFailover, WritesFollowThePrimaryBehindTheSameAddress) {
  auto old_primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(old_primary->port());
  TcpForwarder endpoint(old_primary->port());  // the "primary endpoint" DNS name
  auto funnel = FunnelProcess::start({"--backend", backend_arg(endpoint.port()), "--workers", "2"});
  RespConnection c(funnel->port());
  EXPECT_EQ(c.command({"SET", "before", "1"}).str, "OK");

  // Fail over: promote the replica, demote the old primary, move the endpoint.
  RespConnection promote(replica->port());
  EXPECT_EQ(promote.command({"REPLICAOF", "NO", "ONE"}).str, "OK");
  RespConnection demote(old_primary->port());
  EXPECT_EQ(demote.command({"REPLICAOF", "127.0.0.1", std::to_string(replica->port())}).str, "OK");
  endpoint.set_target(replica->port());

  // The next writes meet READONLY on the old links; Funnel re-resolves, replaces them and
  // retries, so the client sees success in its own order.
  for (int i = 0; i < 20; ++i) {
    const resp::Value reply = c.command({"SET", "after" + std::to_string(i), std::to_string(i)});
    EXPECT_EQ(reply.str, "OK") << reply.str;
  }
  EXPECT_EQ(promote.command({"GET", "after19"}).str, "19");
  EXPECT_NE(funnel->log_text().find("READONLY"), std::string::npos);
  EXPECT_EQ(funnel->stop(), 0);
}

}  // namespace
}  // namespace funnel::test
