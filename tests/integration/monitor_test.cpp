// MONITOR through Funnel against a real redis-server: it runs on a pinned link of the client's
// own (bounded by backend.max_pinned), streams every command the backend runs, answers the
// monitoring client's other requests as Redis does, and ends with RESET, QUIT or disconnecting
// (the link is closed, not reused). The default deny list keeps refusing it.
#include <fstream>

#include "harness.hpp"
#include "support/temp_dir.hpp"

namespace funnel::test {
namespace {

const std::vector<std::string> kAllowMonitor = {"--deny-commands", "@default -monitor"};

// Reads frames until one that is not a monitor line ("+<seconds>.<micros> [db addr] ..."),
// keeping the lines; returns that frame.
std::string next_reply(RespConnection& c, std::vector<std::string>* lines = nullptr) {
  for (int i = 0; i < 10000; ++i) {
    std::string frame = c.read_raw_reply();
    const bool line = frame.size() > 2 && frame[0] == '+' && frame[1] >= '1' && frame[1] <= '9' &&
                      frame.find(" [") != std::string::npos;
    if (!line) return frame;
    if (lines != nullptr) lines->push_back(frame);
  }
  return "(only monitor lines)";
}

// Reads monitor lines until one contains `text`.
bool saw_line(RespConnection& c, const std::string& text) {
  for (int i = 0; i < 10000; ++i) {
    if (c.read_raw_reply().find(text) != std::string::npos) return true;
  }
  return false;
}

std::size_t monitors_on_backend(std::uint16_t redis_port) {
  RespConnection direct(redis_port);
  const std::string list = direct.command({"CLIENT", "LIST"}).str;
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = list.find(" flags=O ", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

class MonitorTest : public ProxyFixture {};

TEST_F(MonitorTest, StreamsEveryCommandAndResetEndsIt) {
  start(kAllowMonitor);
  RespConnection monitor(funnel_->port());
  monitor.send_command({"MONITOR"});
  ASSERT_EQ(monitor.read_raw_reply(), "+OK\r\n");
  EXPECT_EQ(monitors_on_backend(redis_->port()), 1u);
  EXPECT_EQ(count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:"), 1u);
  RespConnection other(funnel_->port());
  other.command({"SET", "mon:k", "v"});
  other.command({"GET", "mon:k"});
  EXPECT_TRUE(saw_line(monitor, "\"SET\" \"mon:k\" \"v\""));
  EXPECT_TRUE(saw_line(monitor, "\"GET\" \"mon:k\""));
  // Redis's "RESET clears MONITOR state": the reply comes, the backend has no monitor left, and
  // the link is closed rather than handed to the next lessee.
  monitor.send_command({"RESET"});
  EXPECT_EQ(next_reply(monitor), "+RESET\r\n");
  EXPECT_TRUE(wait_until([&] { return monitors_on_backend(redis_->port()) == 0; }));
  EXPECT_TRUE(wait_until(
      [&] { return count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:") == 0; }));
  EXPECT_EQ(monitor.command({"SET", "mon:k", "w"}).str, "OK");  // an ordinary client again
  EXPECT_EQ(monitor.command({"GET", "mon:k"}).str, "w");
}

// What Redis 7.0 answers a monitoring client (checked on redis-server 7.0.15): commands that do
// not touch the keyspace run, those that do get an error, a second MONITOR gets no reply.
TEST_F(MonitorTest, AMonitoringClientIsAnsweredAsRedisAnswersIt) {
  start(kAllowMonitor);
  RespConnection monitor(funnel_->port());
  monitor.send_command({"MONITOR"});
  ASSERT_EQ(monitor.read_raw_reply(), "+OK\r\n");
  const auto ask = [&](const std::vector<std::string>& command) {
    monitor.send_command(command);
    return next_reply(monitor);
  };
  EXPECT_EQ(ask({"PING"}), "+PONG\r\n");
  EXPECT_EQ(ask({"ECHO", "hi"}), "$2\r\nhi\r\n");
  const std::string refused = "-ERR Replica can't interact with the keyspace\r\n";
  EXPECT_EQ(ask({"GET", "x"}), refused);
  EXPECT_EQ(ask({"SET", "x", "1"}), refused);
  EXPECT_EQ(ask({"PUBLISH", "c", "m"}), refused);      // may replicate
  EXPECT_EQ(ask({"EVAL", "return 1", "0"}), refused);  // likewise
  EXPECT_EQ(ask({"NOSUCH"}).rfind("-ERR unknown command 'NOSUCH'", 0), 0u);
  EXPECT_EQ(ask({"INFO", "server"}).rfind("$", 0), 0u);  // no keyspace: served
  monitor.send_command({"MONITOR"});                     // ignored: no reply at all
  EXPECT_EQ(ask({"PING", "after"}), "$5\r\nafter\r\n");
  EXPECT_EQ(monitors_on_backend(redis_->port()), 1u);
  monitor.send_command({"QUIT"});
  EXPECT_EQ(next_reply(monitor), "+OK\r\n");
  EXPECT_TRUE(wait_until([&] { return monitors_on_backend(redis_->port()) == 0; }));
}

TEST_F(MonitorTest, DisconnectingEndsItAndTheBudgetBoundsIt) {
  start({"--deny-commands", "@default -monitor", "--max-pinned", "1", "--workers", "1"});
  {
    RespConnection monitor(funnel_->port());
    monitor.send_command({"MONITOR"});
    ASSERT_EQ(monitor.read_raw_reply(), "+OK\r\n");
    // The one pinned link is the monitor's: a blocking command waits for it and times out.
    RespConnection blocked(funnel_->port());
    EXPECT_EQ(blocked.command({"BLPOP", "mon:list", "0.1"})
                  .str.rfind("ERR funnel: no pinned backend connection free", 0),
              0u);
  }
  EXPECT_TRUE(wait_until([&] { return monitors_on_backend(redis_->port()) == 0; }));
  RespConnection after(funnel_->port());
  EXPECT_TRUE(after.command({"BLPOP", "mon:list", "0.1"}).is_null());  // the budget came back
}

TEST_F(MonitorTest, DefaultDenyListAndAclRefuseIt) {
  start();
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"MONITOR"}).str,
            "NOPERM this user has no permissions to run the 'monitor' command");
  EXPECT_EQ(monitors_on_backend(redis_->port()), 0u);
  EXPECT_EQ(c.command({"PING"}).str, "PONG");
}

// A monitor that does not read is closed at limits.client_output_hard_bytes; it never makes the
// link or Funnel hold more than that.
TEST_F(MonitorTest, AMonitorThatDoesNotReadIsClosed) {
  TempDir dir("funnel-monitor");
  const std::string config = dir.file("funnel.toml");
  std::ofstream(config) << "[limits]\nclient_output_soft_bytes = \"256kb\"\n"
                        << "client_output_hard_bytes = \"1mb\"\n";
  start({"--deny-commands", "@default -monitor", "--config", config});
  RespConnection monitor(funnel_->port());
  monitor.send_command({"MONITOR"});
  ASSERT_EQ(monitor.read_raw_reply(), "+OK\r\n");
  RespConnection writer(funnel_->port());
  const std::string value(64 * 1024, 'x');
  bool closed = false;
  for (int i = 0; i < 400 && !closed; ++i) {
    writer.command({"SET", "mon:big", value});  // each one a 64 KB monitor line
    closed = monitors_on_backend(redis_->port()) == 0;
  }
  EXPECT_TRUE(closed) << "the monitor was never cut off";
  EXPECT_TRUE(wait_until(
      [&] { return count_prefix(funnel_link_names(redis_->port()), "funnel:pinned:") == 0; }));
  EXPECT_EQ(writer.command({"PING"}).str, "PONG");
}

}  // namespace
}  // namespace funnel::test
