// Funnel against a real redis-server: the same bytes for the same commands, in RESP2 and RESP3,
// whether answered by Funnel itself or forwarded; protocol edge cases; the link budget.
#include <sched.h>

#include <chrono>
#include <thread>

#include "harness.hpp"
#include "support/fake_backend.hpp"

namespace funnel::test {
namespace {

using Commands = std::vector<std::vector<std::string>>;

// Runs the commands on a connection and returns each raw reply.
std::vector<std::string> raw_replies(std::uint16_t port, const Commands& commands, bool resp3) {
  RespConnection connection(port);
  if (resp3) {
    connection.send_command({"HELLO", "3"});
    connection.read_raw_reply();
  }
  std::vector<std::string> replies;
  for (const auto& command : commands) {
    connection.send_command(command);
    replies.push_back(connection.read_raw_reply());
  }
  return replies;
}

// Key prefixes of equal length keep bulk lengths equal, so raw replies compare byte for byte.
Commands data_script(const std::string& p) {
  const std::string far_future = "4102444800";  // 2100-01-01, an exact EXPIRETIME
  return {
      {"SET", p + "s", "hello"},
      {"GET", p + "s"},
      {"APPEND", p + "s", " world"},
      {"STRLEN", p + "s"},
      {"GETRANGE", p + "s", "0", "4"},
      {"INCR", p + "n"},
      {"INCRBY", p + "n", "41"},
      {"INCRBYFLOAT", p + "f", "1.5"},
      {"MSET", p + "a", "1", p + "b", "2"},
      {"MGET", p + "a", p + "b", p + "missing"},
      {"SETNX", p + "a", "x"},
      {"GETDEL", p + "b"},
      {"HSET", p + "h", "f1", "v1", "f2", "v2"},
      {"HGET", p + "h", "f1"},
      {"HGETALL", p + "h"},
      {"HMGET", p + "h", "f1", "nope"},
      {"HINCRBY", p + "h", "c", "3"},
      {"HKEYS", p + "h"},
      {"HLEN", p + "h"},
      {"HDEL", p + "h", "f2"},
      {"HEXISTS", p + "h", "f2"},
      {"RPUSH", p + "l", "a", "b", "c"},
      {"LPUSH", p + "l", "z"},
      {"LRANGE", p + "l", "0", "-1"},
      {"LPOP", p + "l"},
      {"RPOP", p + "l", "2"},
      {"LLEN", p + "l"},
      {"LINDEX", p + "l", "0"},
      {"SADD", p + "set", "x", "y", "z"},
      {"SISMEMBER", p + "set", "y"},
      {"SCARD", p + "set"},
      {"SMISMEMBER", p + "set", "x", "q"},
      {"SREM", p + "set", "z"},
      {"ZADD", p + "z", "1", "one", "2.5", "two"},
      {"ZSCORE", p + "z", "two"},
      {"ZRANGE", p + "z", "0", "-1", "WITHSCORES"},
      {"ZINCRBY", p + "z", "1", "one"},
      {"ZRANK", p + "z", "two"},
      {"ZCARD", p + "z"},
      {"ZPOPMIN", p + "z"},
      {"EXISTS", p + "s", p + "nope"},
      {"TYPE", p + "h"},
      {"TYPE", p + "z"},
      {"EXPIREAT", p + "s", far_future},
      {"EXPIRETIME", p + "s"},
      {"PERSIST", p + "s"},
      {"TTL", p + "s"},
      {"PTTL", p + "missing"},
      {"DEL", p + "a", p + "n"},
      {"RENAME", p + "s", p + "t"},
      {"GET", p + "t"},
      {"GET", p + "missing"},
      {"HGET", p + "t", "x"},  // WRONGTYPE
      {"INCR", p + "t"},       // not an integer
      {"SET", p + "e", "v", "PX", "100000", "GET"},
      {"OBJECT", "ENCODING", p + "n2"},
  };
}

std::string normalise(std::string bytes, const std::string& prefix) {
  for (std::size_t pos = 0; (pos = bytes.find(prefix, pos)) != std::string::npos;) {
    bytes.replace(pos, prefix.size(), "K:");
  }
  return bytes;
}

class ProxyTest : public ProxyFixture {};

TEST_F(ProxyTest, DataCommandsGiveTheSameBytesAsRedisInBothProtocols) {
  start({"--workers", "2"});
  for (bool resp3 : {false, true}) {
    const std::string direct_prefix = resp3 ? "d3:" : "d2:";
    const std::string funnel_prefix = resp3 ? "f3:" : "f2:";
    const auto direct = raw_replies(redis_->port(), data_script(direct_prefix), resp3);
    const auto proxied = raw_replies(funnel_->port(), data_script(funnel_prefix), resp3);
    ASSERT_EQ(direct.size(), proxied.size());
    const Commands script = data_script("K:");
    for (std::size_t i = 0; i < direct.size(); ++i) {
      EXPECT_EQ(normalise(proxied[i], funnel_prefix), normalise(direct[i], direct_prefix))
          << (resp3 ? "RESP3 " : "RESP2 ") << "command #" << i << " " << script[i][0];
    }
  }
}

TEST_F(ProxyTest, LocallyAnsweredRepliesMatchRedisByteForByte) {
  start();
  const Commands commands = {
      {"PING"},
      {"PING", "hello"},
      {"PING", "a", "b"},
      {"ECHO", "x y"},
      {"ECHO"},
      {"SELECT", "0"},
      {"SELECT", "x"},
      {"AUTH", "x"},
      {"AUTH", "default", "x"},
      {"AUTH", "a", "b", "c"},
      {"HELLO", "4"},
      {"HELLO", "x"},
      {"HELLO", "3", "FOO"},
      {"HELLO", "2", "SETNAME", "a b"},
      {"foo", "a", "b"},
      {"GET"},
      {"CONFIG", "foo"},
      {"CLIENT", "SETNAME", "a b"},
      {"CLIENT", "GETNAME"},
      {"CLIENT", "SETNAME", "me"},
      {"CLIENT", "GETNAME"},
      {"CLIENT", "GETREDIR"},
      {"CLIENT", "TRACKINGINFO"},
      {"CLIENT", "CACHING", "yes"},
      {"CLIENT", "foo"},
      {"CLIENT", "SETNAME"},
      {"CLIENT", "REPLY", "ON"},
      {"CLIENT", "NO-EVICT", "on"},
  };
  for (bool resp3 : {false, true}) {
    const auto direct = raw_replies(redis_->port(), commands, resp3);
    const auto proxied = raw_replies(funnel_->port(), commands, resp3);
    for (std::size_t i = 0; i < commands.size(); ++i) {
      EXPECT_EQ(printable(proxied[i]), printable(direct[i]))
          << (resp3 ? "RESP3 " : "RESP2 ") << commands[i][0] << " "
          << (commands[i].size() > 1 ? commands[i][1] : "");
    }
  }
}

TEST_F(ProxyTest, HelloPresentsTheBackendVersionAndOurOwnClientId) {
  start();
  RespConnection direct(redis_->port());
  RespConnection proxied(funnel_->port());
  const resp::Value d = direct.command({"HELLO", "3"});
  const resp::Value f = proxied.command({"HELLO", "3"});
  ASSERT_EQ(f.type, resp::ValueType::kMap);
  for (const char* key : {"server", "version", "proto", "mode", "role"}) {
    ASSERT_NE(f.find(key), nullptr) << key;
    EXPECT_EQ(f.find(key)->str, d.find(key)->str) << key;
    EXPECT_EQ(f.find(key)->integer, d.find(key)->integer) << key;
  }
  const resp::Value id = proxied.command({"CLIENT", "ID"});
  EXPECT_EQ(f.find("id")->integer, id.integer);
}

TEST_F(ProxyTest, PipelinesKeepTheirOrderAcrossLocalAndForwardedReplies) {
  start();
  RespConnection c(funnel_->port());
  std::string batch;
  for (int i = 0; i < 200; ++i) {
    batch += encode_command({"SET", "order:" + std::to_string(i), std::to_string(i)});
    batch += encode_command({"PING", "p" + std::to_string(i)});
    batch += encode_command({"GET", "order:" + std::to_string(i)});
    batch += encode_command({"nosuchcommand"});
  }
  c.send_raw(batch);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
    const std::string ping = "p" + std::to_string(i);
    EXPECT_EQ(c.read_value().str, ping);
    EXPECT_EQ(c.read_value().str, std::to_string(i));
    EXPECT_TRUE(c.read_value().is_error());
  }
}

TEST_F(ProxyTest, InlineCommandsAndEmptyLinesBehaveAsInRedis) {
  start();
  for (std::uint16_t port : {redis_->port(), funnel_->port()}) {
    RespConnection c(port);
    c.send_raw("\r\n\r\nSET inl \"a b\\x41\"\r\n\r\nGET inl\r\nPING\r\n");
    EXPECT_EQ(c.read_raw_reply(), "+OK\r\n") << port;
    EXPECT_EQ(c.read_raw_reply(), "$4\r\na bA\r\n") << port;
    EXPECT_EQ(c.read_raw_reply(), "+PONG\r\n") << port;
    EXPECT_TRUE(c.buffered().empty()) << port;
  }
}

TEST_F(ProxyTest, ProtocolErrorClosesOnlyThatClient) {
  start();
  RespConnection good(funnel_->port());
  RespConnection bad(funnel_->port());
  EXPECT_EQ(good.command({"SET", "k", "v"}).str, "OK");
  bad.send_raw("*1\r\n$x\r\n");
  EXPECT_EQ(bad.read_raw_reply(), "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_TRUE(bad.closed_by_peer());
  EXPECT_EQ(good.command({"GET", "k"}).str, "v");
}

TEST_F(ProxyTest, QuitRepliesOkAndCloses) {
  start();
  RespConnection c(funnel_->port());
  c.send_raw(encode_command({"SET", "q", "1"}) + encode_command({"QUIT"}) +
             encode_command({"GET", "q"}));
  EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_raw_reply(), "+OK\r\n");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ProxyTest, InfoHasTheBackendSectionsAndFunnels) {
  start();
  RespConnection c(funnel_->port());
  // FunnelProcess's readiness probe (connect, close) may be counted for a moment longer, on the
  // other worker: wait until only this client is.
  ASSERT_TRUE(wait_until([&] { return funnel_info(c, "funnel_connected_clients") == 1; }));
  const std::string info = c.command({"INFO"}).str;
  EXPECT_NE(info.find("redis_version:"), std::string::npos);
  EXPECT_NE(info.find("# Funnel\r\n"), std::string::npos);
  EXPECT_NE(info.find("funnel_connected_clients:1\r\n"), std::string::npos);
  const std::string only = c.command({"INFO", "funnel"}).str;
  EXPECT_EQ(only.rfind("# Funnel\r\n", 0), 0u) << only;
  EXPECT_EQ(c.command({"INFO", "server"}).str.find("# Funnel"), std::string::npos);
  c.send_command({"HELLO", "3"});
  c.read_value();
  EXPECT_NE(c.command({"INFO"}).str.find("# Funnel"), std::string::npos);
}

TEST_F(ProxyTest, StatefulCommandsAreRefusedClearly) {
  start();
  RespConnection c(funnel_->port());
  for (const std::vector<std::string>& command :
       Commands{{"CLIENT", "TRACKING", "on"}, {"WAIT", "1", "0"}}) {
    const resp::Value reply = c.command(command);
    ASSERT_TRUE(reply.is_error()) << command[0];
    EXPECT_NE(reply.str.find("funnel"), std::string::npos) << reply.str;
    EXPECT_NE(reply.str.find(command[0]), std::string::npos) << reply.str;
  }
  EXPECT_EQ(c.command({"PING"}).str, "PONG");  // still served
}

TEST_F(ProxyTest, BackendSeesOnlyTheLinkBudget) {
  start({"--workers", "2"});
  std::vector<std::unique_ptr<RespConnection>> clients;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<RespConnection>(funnel_->port()));
    if (i % 2) clients.back()->command({"HELLO", "3"});
    EXPECT_EQ(clients.back()->command({"SET", "b" + std::to_string(i), "v"}).str, "OK");
  }
  ASSERT_TRUE(wait_until([&] { return funnel_link_names(redis_->port()).size() == 5; }))
      << "links: " << funnel_link_names(redis_->port()).size();
  const auto names = funnel_link_names(redis_->port());
  EXPECT_EQ(count_prefix(names, "funnel:shared:resp2:db0:"), 2u);
  EXPECT_EQ(count_prefix(names, "funnel:shared:resp3:db0:"), 2u);
  EXPECT_EQ(count_prefix(names, "funnel:control:"), 1u);
}

// `workers = 0` counts the CPUs Funnel may use, not the host's: started with a one-CPU affinity
// mask (what taskset or a cpuset gives it), it runs one worker and so one shared link.
TEST_F(ProxyTest, DefaultWorkerCountFollowsTheAffinityMask) {
  cpu_set_t original;
  ASSERT_EQ(::sched_getaffinity(0, sizeof(original), &original), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &original)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(::sched_setaffinity(0, sizeof(one), &one), 0);  // the child inherits this thread's
  start({});
  ASSERT_EQ(::sched_setaffinity(0, sizeof(original), &original), 0);
  // The startup line comes once the workers run, a moment after the port accepts.
  EXPECT_TRUE(wait_until([&] {
    return funnel_->log_text().find("1 workers (one per usable CPU: affinity mask 1 of") !=
           std::string::npos;
  })) << funnel_->log_text();
  RespConnection client(funnel_->port());
  EXPECT_EQ(client.command({"SET", "affinity", "1"}).str, "OK");
  ASSERT_TRUE(wait_until([&] {
    return count_prefix(funnel_link_names(redis_->port()), "funnel:shared:resp2:db0:") == 1;
  }));
}

TEST(ProxyStartup, RefusesToStartWithoutABackend) {
  TempDir dir("funnel-nobackend");
  ChildProcess process({FunnelProcess::binary_path()}, dir.path() + "/log");
  ASSERT_TRUE(wait_until([&] { return process.exit_status().has_value(); }));
  EXPECT_EQ(*process.exit_status(), 2);
  EXPECT_NE(read_file(process.log_path()).find("--backend"), std::string::npos);
}

TEST(ProxyStartup, UnreachableBackendGivesClearErrorsQuickly) {
  const std::uint16_t closed_port = free_port();
  auto funnel = FunnelProcess::start({"--backend", backend_arg(closed_port), "--connect-timeout-ms",
                                      "200", "--request-timeout-ms", "1000"});
  RespConnection c(funnel->port(), std::chrono::milliseconds(1500));
  const auto started = std::chrono::steady_clock::now();
  const resp::Value reply = c.command({"GET", "k"});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1500));
  ASSERT_TRUE(reply.is_error());
  EXPECT_NE(reply.str.find("ERR funnel: backend 127.0.0.1:" + std::to_string(closed_port)),
            std::string::npos)
      << reply.str;
  EXPECT_EQ(c.command({"PING"}).str, "PONG");
  EXPECT_EQ(funnel->stop(), 0);
}

}  // namespace
}  // namespace funnel::test

namespace funnel::test {
namespace {

TEST(ProxyLifecycle, SigtermLetsInFlightRequestsFinishThenExitsZero) {
  auto backend = FakeBackend::start([](const std::vector<std::string>& args, int) {
    if (args.size() == 2 && args[0] == "GET") {
      return FakeBackend::Action::reply_after(std::chrono::milliseconds(400), "$4\r\nlate\r\n");
    }
    return FakeBackend::Action::default_reply();
  });
  auto funnel = FunnelProcess::start({"--backend", backend_arg(backend->port()), "--workers", "1"});
  RespConnection c(funnel->port());
  c.send_command({"GET", "k"});
  ASSERT_TRUE(backend_saw(*backend, "GET"));
  funnel->signal(SIGTERM);
  EXPECT_EQ(c.read_value().str, "late");  // answered during the drain
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(funnel->stop(), 0);
  EXPECT_FALSE(port_accepts(funnel->port()));
}

}  // namespace
}  // namespace funnel::test
