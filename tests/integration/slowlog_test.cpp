// FUNNEL SLOWLOG against the real funnel binary and redis-server: a request slower than
// limits.slowlog_slower_than_us (a Lua busy loop bounded by the server's clock) is logged in
// Redis's SLOWLOG GET shape; faster ones are not; LEN counts, RESET clears, GET's count and long
// arguments behave as on redis-server 7.0 (checked there: "... (72 more bytes)",
// "... (11 more arguments)", "ERR count should be greater than or equal to -1").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>

#include "harness.hpp"
#include "support/temp_dir.hpp"

namespace funnel::test {
namespace {

// Busy for at least ARGV[1] milliseconds of the server's own clock, then returns.
const std::string kBusyScript =
    "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
    "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= ARGV[1] * 1000 "
    "return 1";

std::string local_address(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &addr.sin_addr, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(ntohs(addr.sin_port));
}

std::vector<std::string> strings(const resp::Value& array) {
  std::vector<std::string> out;
  for (const resp::Value& v : array.elems) out.push_back(v.str);
  return out;
}

class SlowlogTest : public ProxyFixture {
 protected:
  void start_with(const std::string& limits) {
    const std::string config = dir_.path() + "/funnel.toml";
    std::ofstream(config) << "[limits]\n" << limits;
    start({"--config", config});
  }
  TempDir dir_{"funnel-slowlog"};
};

TEST_F(SlowlogTest, SlowScriptIsLoggedAsRedisLogsItAndFastRequestsAreNot) {
  start_with("slowlog_slower_than_us = 20000\n");
  RespConnection c(funnel_->port());
  ASSERT_EQ(c.command({"CLIENT", "SETNAME", "slowpoke"}).str, "OK");
  ASSERT_EQ(c.command({"SET", "fast", "1"}).str, "OK");
  ASSERT_EQ(c.command({"FUNNEL", "SLOWLOG", "LEN"}).integer, 0);
  ASSERT_EQ(c.command({"EVAL", kBusyScript, "0", "40"}).integer, 1);
  EXPECT_EQ(c.command({"FUNNEL", "SLOWLOG", "LEN"}).integer, 1);
  const resp::Value log = c.command({"FUNNEL", "SLOWLOG", "GET"});
  ASSERT_EQ(log.elems.size(), 1u) << log.str;
  const resp::Value& entry = log.elems[0];
  ASSERT_EQ(entry.elems.size(), 6u);
  EXPECT_EQ(entry.elems[0].integer, 0);              // id
  EXPECT_GT(entry.elems[1].integer, 1'700'000'000);  // unix time
  EXPECT_GE(entry.elems[2].integer, 40'000);         // microseconds
  const std::string script_cut = kBusyScript.substr(0, 128) + "... (" +
                                 std::to_string(kBusyScript.size() - 128) + " more bytes)";
  EXPECT_EQ(strings(entry.elems[3]), (std::vector<std::string>{"EVAL", script_cut, "0", "40"}));
  EXPECT_EQ(entry.elems[4].str, local_address(c.fd()));  // the client's own address
  EXPECT_EQ(entry.elems[5].str, "slowpoke");
  EXPECT_EQ(c.command({"FUNNEL", "SLOWLOG", "RESET"}).str, "OK");
  EXPECT_EQ(c.command({"FUNNEL", "SLOWLOG", "LEN"}).integer, 0);
  EXPECT_TRUE(c.command({"FUNNEL", "SLOWLOG", "GET"}).elems.empty());
}

TEST_F(SlowlogTest, ThresholdZeroLogsEveryRequestWithLongArgumentsCut) {
  start_with("slowlog_slower_than_us = 0\nslowlog_max_len = 3\n");
  RespConnection c(funnel_->port());
  ASSERT_EQ(c.command({"SET", "k", std::string(200, 'a')}).str, "OK");
  std::vector<std::string> rpush{"RPUSH", "l"};
  for (int i = 1; i <= 40; ++i) rpush.push_back(std::to_string(i));
  ASSERT_EQ(c.command(rpush).integer, 40);
  ASSERT_EQ(c.command({"GET", "missing"}).type, resp::ValueType::kNull);
  ASSERT_EQ(c.command({"INCR", "n"}).integer, 1);
  EXPECT_EQ(c.command({"FUNNEL", "SLOWLOG", "LEN"}).integer, 3);  // max_len: SET dropped
  const resp::Value all = c.command({"FUNNEL", "SLOWLOG", "GET", "-1"});
  ASSERT_EQ(all.elems.size(), 3u);
  EXPECT_EQ(strings(all.elems[0].elems[3]), (std::vector<std::string>{"INCR", "n"}));
  EXPECT_EQ(all.elems[0].elems[0].integer, 3);  // newest first, ids process-wide
  const std::vector<std::string> cut = strings(all.elems[2].elems[3]);
  ASSERT_EQ(cut.size(), 32u);
  EXPECT_EQ(cut[30], "29");
  EXPECT_EQ(cut[31], "... (11 more arguments)");
  EXPECT_EQ(c.command({"FUNNEL", "SLOWLOG", "GET", "1"}).elems.size(), 1u);
  EXPECT_EQ(c.command({"FUNNEL", "SLOWLOG", "GET", "-2"}).str,
            "ERR count should be greater than or equal to -1");
  ASSERT_EQ(c.command({"FUNNEL", "SLOWLOG", "RESET"}).str, "OK");
  ASSERT_EQ(c.command({"SET", "k", std::string(200, 'a')}).str, "OK");
  const resp::Value one = c.command({"FUNNEL", "SLOWLOG", "GET"});
  ASSERT_EQ(one.elems.size(), 1u);
  EXPECT_EQ(one.elems[0].elems[0].integer, 4);  // ids go on after RESET, as Redis's do
  EXPECT_EQ(strings(one.elems[0].elems[3]).at(2), std::string(128, 'a') + "... (72 more bytes)");
}

TEST_F(SlowlogTest, MaxLenZeroTurnsTheLogOff) {
  start_with("slowlog_slower_than_us = 0\nslowlog_max_len = 0\n");
  RespConnection c(funnel_->port());
  ASSERT_EQ(c.command({"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(c.command({"FUNNEL", "SLOWLOG", "LEN"}).integer, 0);
  EXPECT_TRUE(c.command({"FUNNEL", "SLOWLOG", "FOO"}).is_error());
}

}  // namespace
}  // namespace funnel::test
