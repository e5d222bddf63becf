// CLIENT PAUSE and CLIENT UNPAUSE through Funnel (issue #15, item 7), against a real redis-server:
// they reach Redis out of band where the policy allows them; under PAUSE WRITE Funnel holds the
// writes itself so that reads keep flowing on the shared link a paused write would stall; under
// PAUSE ALL longer than Funnel's timeouts the node is paused, not failed.
#include <chrono>
#include <thread>

#include "harness.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;

// INFO's blocked_clients, as Redis's unit/pause reads it (wait_for_blocked_clients_count).
long blocked_clients(RespConnection& c) {
  const std::string info = c.command({"INFO"}).str;
  const std::size_t at = info.find("blocked_clients:");
  if (at == std::string::npos) return -1;
  return std::stol(info.substr(at + 16));
}

class PauseTest : public ProxyFixture {
 protected:
  void start_open(std::vector<std::string> extra = {}) {
    redis_ = RedisServer::start();
    std::vector<std::string> args = {
        "--backend", backend_arg(redis_->port()), "--deny-commands", "", "--workers", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    funnel_ = FunnelProcess::start(args);
  }
  void TearDown() override {
    if (redis_) {
      RespConnection direct(redis_->port());
      direct.command({"CLIENT", "UNPAUSE"});
    }
    ProxyFixture::TearDown();
  }
  TempDir dir_{"funnel-pause"};
};

// Before: Funnel refused CLIENT PAUSE with "ERR funnel: CLIENT PAUSE is not supported ...", not
// with the deny list's NOPERM that says how to allow it.
TEST_F(PauseTest, DefaultDenyListRefusesPauseAndUnpause) {
  start();
  RespConnection c(funnel_->port());
  for (const std::vector<std::string>& request :
       {std::vector<std::string>{"CLIENT", "PAUSE", "100", "WRITE"},
        std::vector<std::string>{"CLIENT", "UNPAUSE"}}) {
    const resp::Value reply = c.command(request);
    EXPECT_TRUE(reply.is_error());
    EXPECT_EQ(reply.str.rfind("NOPERM", 0), 0u) << reply.str;
  }
  EXPECT_EQ(c.command({"SET", "k", "v"}).str, "OK");  // nothing was paused
}

// One worker, one shared link: before, CLIENT PAUSE was refused (and, sent to Redis as is, the
// paused SET would have stalled the one link every client's GET travels on).
TEST_F(PauseTest, PauseWriteHoldsWritesWhileReadsFlow) {
  start_open();
  RespConnection admin(funnel_->port());
  RespConnection writer(funnel_->port());
  RespConnection reader(funnel_->port());
  ASSERT_EQ(admin.command({"SET", "k", "before"}).str, "OK");
  ASSERT_EQ(admin.command({"CLIENT", "PAUSE", "60000", "WRITE"}).str, "OK");
  writer.send_command({"SET", "k", "after"});
  writer.send_command({"GET", "k"});  // behind its own write: order
  ASSERT_TRUE(wait_until([&] { return blocked_clients(admin) == 1; }));
  for (int i = 0; i < 20; ++i) {
    const auto sent = std::chrono::steady_clock::now();
    EXPECT_EQ(reader.command({"GET", "k"}).str, "before");
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 1s);
  }
  EXPECT_EQ(reader.command({"PING"}).str, "PONG");
  ASSERT_EQ(admin.command({"CLIENT", "UNPAUSE"}).str, "OK");
  EXPECT_EQ(writer.read_value().str, "OK");
  EXPECT_EQ(writer.read_value().str, "after");
  EXPECT_EQ(reader.command({"GET", "k"}).str, "after");
  EXPECT_EQ(blocked_clients(admin), 0);
}

// A pause that expires by itself releases the held writes too.
TEST_F(PauseTest, HeldWritesGoWhenThePauseExpires) {
  start_open();
  RespConnection admin(funnel_->port());
  RespConnection writer(funnel_->port());
  ASSERT_EQ(admin.command({"CLIENT", "PAUSE", "300", "WRITE"}).str, "OK");
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(writer.command({"PUBLISH", "c", "m"}).integer, 0);
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 250ms);
}

// PAUSE ALL for longer than the request and link-stall timeouts and several health rounds: the
// clients' requests wait (Redis postpones them), then are answered; no client is dropped, no
// request gets an error, and new clients are served right after.
TEST_F(PauseTest, PauseAllLongerThanTimeoutsIsAPauseNotAFailure) {
  redis_ = RedisServer::start();
  const std::string config = dir_.write(
      "funnel.toml", "[backend]\nrequest_timeout_ms = 300\nlink_stall_timeout_ms = 400\n");
  funnel_ = FunnelProcess::start({"--config", config, "--discover", backend_arg(redis_->port()),
                                  "--deny-commands", "", "--workers", "2", "--health-interval-ms",
                                  "100"});
  RespConnection admin(funnel_->port(), 10s);
  RespConnection reader(funnel_->port(), 10s);
  ASSERT_TRUE(wait_until([&] { return admin.command({"SET", "k", "v"}).str == "OK"; }));
  ASSERT_EQ(reader.command({"GET", "k"}).str, "v");
  ASSERT_EQ(admin.command({"CLIENT", "PAUSE", "1500", "ALL"}).str, "OK");
  const auto paused_at = std::chrono::steady_clock::now();
  reader.send_command({"GET", "k"});
  admin.send_command({"SET", "k2", "w"});
  // Not a synchronisation: the point is to let several health rounds (100 ms, checks time out
  // after 200 ms) and the request timeout pass while Redis is paused.
  std::this_thread::sleep_for(800ms);
  RespConnection during(funnel_->port(), 10s);
  // A new client, maybe a new link's handshake. It reads a key written before the pause: its
  // GET and the admin's SET k2 are concurrent (neither was answered before the other was sent),
  // and when the GET shares the reader's link, which Redis paused first, Redis may run it first.
  during.send_command({"GET", "k"});
  EXPECT_EQ(reader.read_value().str, "v");
  EXPECT_EQ(admin.read_value().str, "OK");
  EXPECT_EQ(during.read_value().str, "v");
  EXPECT_GE(std::chrono::steady_clock::now() - paused_at, 1400ms);  // Redis did pause them
  RespConnection fresh(funnel_->port());
  EXPECT_EQ(fresh.command({"GET", "k2"}).str, "w");
  EXPECT_EQ(funnel_->log_text().find("down"), std::string::npos) << funnel_->log_text();
}

}  // namespace
}  // namespace funnel::test
