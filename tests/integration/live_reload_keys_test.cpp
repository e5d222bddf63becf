// Live reload of the keys that were restart-only until session 10 (issue #17, item 1: "apply
// everything that can change live"), each against real redis-servers after the --config file is
// rewritten and FUNNEL RELOAD or POST /reload. On main each of these keys was reported as "kept
// until a restart" and the running value stayed: every test failed on its first check after the
// reload.
#include <chrono>

#include "counting_load.hpp"
#include "harness.hpp"
#include "support/http_get.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

resp::Value reload(RespConnection& control) {
  return control.command({"FUNNEL", "RELOAD"});
}

// backend.connections_per_node under load: the pools grow (the new links come up, named by their
// index, as CLIENT LIST on Redis shows) and shrink (the links beyond the count drain and close),
// with 3 workers (some own no link and hand their requests over) while 16 clients counting up
// see no error, no lost write and no stale value.
TEST(LiveReloadKeysTest, ThePoolsGrowAndShrinkUnderLoadLosingNothing) {
  TempDir dir("funnel-live-keys");
  auto redis = RedisServer::start();
  const auto config = [](int links) {
    return "[backend]\nconnections_per_node = " + std::to_string(links) + "\n";
  };
  const auto shared_links = [&] {
    return count_prefix(funnel_link_names(redis->port()), "funnel:shared:resp2:db0:");
  };
  const std::string file = dir.write("funnel.toml", config(2));
  auto funnel = FunnelProcess::start(
      {"--config", file, "--backend", backend_arg(redis->port()), "--workers", "3"});
  ASSERT_TRUE(wait_until([&] { return shared_links() == 2u; }, 10s)) << shared_links();
  CountingLoad load(funnel->port(), 16);
  RespConnection control(funnel->port());
  ASSERT_TRUE(wait_until([&] { return load.progressed(5); }, 30s));

  for (const int links : {5, 1, 3}) {
    dir.write("funnel.toml", config(links));
    const resp::Value reloaded = reload(control);
    ASSERT_FALSE(reloaded.is_error()) << reloaded.str;
    EXPECT_NE(reloaded.str.find("applied backend.connections_per_node"), std::string::npos)
        << reloaded.str;
    const auto wanted = static_cast<std::size_t>(links);
    EXPECT_TRUE(wait_until([&] { return shared_links() == wanted; }, 15s))
        << links << " wanted, " << shared_links() << " open";
    const long floor = load.lowest() + 20;
    EXPECT_TRUE(wait_until([&] { return load.progressed(floor); }, 30s)) << "the load stalled";
    const std::string info = control.command({"INFO", "funnel"}).str;
    EXPECT_NE(info.find("funnel_connections_per_node:" + std::to_string(links)), std::string::npos);
  }
  const long pairs = load.finish();
  EXPECT_GT(pairs, 0);
}

// backend.failover_hold_ms: 0 at start (a dead primary's writes fail at once); after the reload
// a write to the dead primary waits the new hold (1.5 s) before its error.
TEST(LiveReloadKeysTest, FailoverHoldChangesLive) {
  TempDir dir("funnel-live-keys");
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  const std::string file = dir.write("funnel.toml", "[backend]\nfailover_hold_ms = 0\n");
  auto funnel = FunnelProcess::start({"--config", file, "--backend", backend_arg(primary->port()),
                                      "--replica", backend_arg(replica->port()), "--workers", "1"});
  RespConnection client(funnel->port());
  ASSERT_EQ(client.command({"SET", "k", "v"}).str, "OK");

  dir.write("funnel.toml", "[backend]\nfailover_hold_ms = 1500\n");
  const resp::Value reloaded = reload(client);
  ASSERT_FALSE(reloaded.is_error()) << reloaded.str;
  EXPECT_NE(reloaded.str.find("backend.failover_hold_ms"), std::string::npos) << reloaded.str;
  EXPECT_EQ(reloaded.str.find("kept until a restart"), std::string::npos) << reloaded.str;

  primary->stop();
  const auto start = Clock::now();
  const resp::Value held = client.command({"SET", "k", "w"});
  // Held for the new hold (a dead primary no failover replaces: then sent, and refused).
  EXPECT_TRUE(held.is_error()) << held.str;
  EXPECT_GE(Clock::now() - start, 1000ms) << "the write was not held: " << held.str;
}

// auth.*: after the reload no failure is free and each is held failure_delay_ms, so the first
// wrong AUTH of a new connection is answered late (before: the first three at once).
TEST(LiveReloadKeysTest, AuthThrottleBoundsChangeLive) {
  TempDir dir("funnel-live-keys");
  auto redis = RedisServer::start();
  const std::string pass = dir.write("requirepass", "secret\n");
  const std::string head = "[auth]\nrequirepass_file = \"" + pass + "\"\n";
  const std::string file = dir.write("funnel.toml", head);
  auto funnel = FunnelProcess::start(
      {"--config", file, "--backend", backend_arg(redis->port()), "--workers", "1"});
  RespConnection admin(funnel->port());
  ASSERT_EQ(admin.command({"AUTH", "secret"}).str, "OK");

  dir.write("funnel.toml", head + "free_failures = 0\nfailure_delay_ms = 1200\n");
  const resp::Value reloaded = reload(admin);
  ASSERT_FALSE(reloaded.is_error()) << reloaded.str;
  EXPECT_NE(reloaded.str.find("auth.free_failures"), std::string::npos) << reloaded.str;
  EXPECT_EQ(reloaded.str.find("kept until a restart"), std::string::npos) << reloaded.str;

  RespConnection guesser(funnel->port());
  const auto start = Clock::now();
  EXPECT_TRUE(starts_with(guesser.command({"AUTH", "wrong"}).str, "WRONGPASS"));
  EXPECT_GE(Clock::now() - start, 1000ms) << "the first failure was answered at once";
  EXPECT_EQ(admin.command({"PING"}).str, "PONG");
}

// limits.slowlog_max_len: grows (more entries kept) and shrinks (the newest kept).
TEST(LiveReloadKeysTest, SlowlogLengthChangesKeepingTheNewest) {
  TempDir dir("funnel-live-keys");
  auto redis = RedisServer::start();
  const auto config = [](int len) {
    return "[limits]\nslowlog_slower_than_us = 0\nslowlog_max_len = " + std::to_string(len) + "\n";
  };
  const std::string file = dir.write("funnel.toml", config(2));
  auto funnel = FunnelProcess::start(
      {"--config", file, "--backend", backend_arg(redis->port()), "--workers", "1"});
  RespConnection client(funnel->port());
  for (int i = 0; i < 4; ++i) ASSERT_EQ(client.command({"SET", "k", std::to_string(i)}).str, "OK");
  ASSERT_EQ(client.command({"FUNNEL", "SLOWLOG", "LEN"}).integer, 2);

  dir.write("funnel.toml", config(6));
  const resp::Value grown = reload(client);
  ASSERT_FALSE(grown.is_error()) << grown.str;
  EXPECT_EQ(grown.str.find("kept until a restart"), std::string::npos) << grown.str;
  for (int i = 4; i < 10; ++i) ASSERT_EQ(client.command({"SET", "k", std::to_string(i)}).str, "OK");
  EXPECT_EQ(client.command({"FUNNEL", "SLOWLOG", "LEN"}).integer, 6);

  dir.write("funnel.toml", config(1));
  ASSERT_FALSE(reload(client).is_error());
  EXPECT_EQ(client.command({"FUNNEL", "SLOWLOG", "LEN"}).integer, 1);
  const resp::Value newest = client.command({"FUNNEL", "SLOWLOG", "GET"});
  ASSERT_EQ(newest.elems.size(), 1u);
  const resp::Value& args = newest.elems[0].elems.at(3);
  ASSERT_EQ(args.elems.size(), 3u);
  EXPECT_EQ(args.elems[2].str, "9");  // the last SET, not an older one
}

long long backend_gets(std::uint16_t port) {
  RespConnection direct(port);
  const std::string info = direct.command({"INFO", "commandstats"}).str;
  const std::size_t at = info.find("cmdstat_get:calls=");
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + 18));
}

// The backend GETs one pipeline of 100 identical GETs costs.
long long gets_for_a_burst(RespConnection& client, std::uint16_t redis_port) {
  const long long before = backend_gets(redis_port);
  std::string burst;
  for (int i = 0; i < 100; ++i) burst += encode_command({"GET", "hot"});
  client.send_raw(burst);
  for (int i = 0; i < 100; ++i) {
    if (client.read_value().str != "v") return -1;
  }
  return backend_gets(redis_port) - before;
}

// shield.coalesce: turned on, identical reads in one batch share a backend request; turned off
// again, each costs its own.
TEST(LiveReloadKeysTest, CoalescingTurnsOnAndOff) {
  TempDir dir("funnel-live-keys");
  auto redis = RedisServer::start();
  const auto config = [](int on) { return "[shield]\ncoalesce = " + std::to_string(on) + "\n"; };
  const std::string file = dir.write("funnel.toml", config(0));
  auto funnel = FunnelProcess::start(
      {"--config", file, "--backend", backend_arg(redis->port()), "--workers", "1"});
  RespConnection client(funnel->port());
  ASSERT_EQ(client.command({"SET", "hot", "v"}).str, "OK");
  EXPECT_EQ(gets_for_a_burst(client, redis->port()), 100);

  dir.write("funnel.toml", config(1));
  const resp::Value on = reload(client);
  ASSERT_FALSE(on.is_error()) << on.str;
  EXPECT_EQ(on.str.find("kept until a restart"), std::string::npos) << on.str;
  const long long coalesced = gets_for_a_burst(client, redis->port());
  EXPECT_GT(coalesced, 0);
  EXPECT_LT(coalesced, 100) << "no read was coalesced";

  dir.write("funnel.toml", config(0));
  ASSERT_FALSE(reload(client).is_error());
  EXPECT_EQ(gets_for_a_burst(client, redis->port()), 100);
}

constexpr const char* kToken = "live-keys-token";
std::string auth_header() {
  return std::string("Authorization: Bearer ") + kToken + "\r\n";
}
std::string metric_line(std::uint16_t admin_port, const std::string& name) {
  const std::string body = http_get(admin_port, "/metrics", auth_header()).body;
  const std::size_t at = body.find("\n" + name + " ");
  return at == std::string::npos ? "" : body.substr(at + 1, body.find('\n', at + 1) - at - 1);
}

// The exposition shows server.max_clients in force after a reload (it showed the value of the
// start); POST /reload answers once every worker applied it, as FUNNEL RELOAD does.
TEST(LiveReloadKeysTest, TheExpositionShowsMaxClientsInForce) {
  TempDir dir("funnel-live-keys");
  auto redis = RedisServer::start();
  const std::uint16_t admin_port = free_port();
  const std::string file = dir.write("funnel.toml", "[server]\nmax_clients = 100\n");
  auto funnel = FunnelProcess::start({"--config", file, "--backend", backend_arg(redis->port()),
                                      "--admin", "127.0.0.1:" + std::to_string(admin_port),
                                      "--admin-token-file", dir.write("admin.token", kToken)});
  ASSERT_TRUE(
      wait_until([&] { return metric_line(admin_port, "funnel_client_connections_max") != ""; }));
  EXPECT_EQ(metric_line(admin_port, "funnel_client_connections_max"),
            "funnel_client_connections_max 100");

  dir.write("funnel.toml", "[server]\nmax_clients = 7\n");
  const HttpReply posted = http_request(admin_port, "POST", "/reload", auth_header());
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_NE(posted.body.find("applied server.max_clients"), std::string::npos) << posted.body;
  EXPECT_EQ(metric_line(admin_port, "funnel_client_connections_max"),
            "funnel_client_connections_max 7");
}

// admin.token_file (the same file rewritten) and admin.max_header_bytes: the requests after the
// reload need the new token, and a header over the new bound gets 431.
TEST(LiveReloadKeysTest, TheAdminTokenAndBoundsChangeForTheNextRequest) {
  TempDir dir("funnel-live-keys");
  auto redis = RedisServer::start();
  const std::uint16_t admin_port = free_port();
  const std::string token_file = dir.write("admin.token", kToken);
  const std::string file = dir.write("funnel.toml", "[admin]\nmax_header_bytes = \"8kb\"\n");
  auto funnel = FunnelProcess::start({"--config", file, "--backend", backend_arg(redis->port()),
                                      "--admin", "127.0.0.1:" + std::to_string(admin_port),
                                      "--admin-token-file", token_file});
  ASSERT_TRUE(
      wait_until([&] { return http_get(admin_port, "/healthz", auth_header()).status == 200; }));
  const std::string padding = "X-Padding: " + std::string(3000, 'p') + "\r\n";
  EXPECT_EQ(http_get(admin_port, "/healthz", auth_header() + padding).status, 200);

  dir.write("admin.token", "the-new-token");
  dir.write("funnel.toml", "[admin]\nmax_header_bytes = \"2kb\"\n");
  const HttpReply posted = http_request(admin_port, "POST", "/reload", auth_header());
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_NE(posted.body.find("admin.token_file"), std::string::npos) << posted.body;
  EXPECT_EQ(posted.body.find("kept until a restart"), std::string::npos) << posted.body;

  EXPECT_EQ(http_get(admin_port, "/healthz", auth_header()).status, 401);
  const std::string fresh = "Authorization: Bearer the-new-token\r\n";
  EXPECT_EQ(http_get(admin_port, "/healthz", fresh).status, 200);
  EXPECT_EQ(http_get(admin_port, "/healthz", fresh + padding).status, 431);
}

}  // namespace
}  // namespace funnel::test
