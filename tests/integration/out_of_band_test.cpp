// Server-wide commands that must reach Redis whatever its other connections are doing (issue #15,
// item 7), against a real redis-server: SCRIPT KILL, FUNCTION KILL and SHUTDOWN while a script
// keeps Redis busy, and the links that met the busy server recovering at once after the kill.
#include <chrono>

#include "harness.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSpinLibrary =
    "#!lua name=spin\nredis.register_function{function_name='spin', "
    "callback=function() while true do end end, flags={'no-writes'}}";

class OutOfBandTest : public ProxyFixture {
 protected:
  // Funnel as a new user runs it against Redis's own test suite: nothing denied, room for one
  // database pool per try.
  void start_open(const std::string& workers) {
    redis_ = RedisServer::start({"--busy-reply-threshold", "100"});
    const std::string config = dir_.write("funnel.toml", "[backend]\nmax_database_pools = 32\n");
    funnel_ = FunnelProcess::start({"--config", config, "--backend", backend_arg(redis_->port()),
                                    "--deny-commands", "", "--workers", workers});
  }

 public:
  bool redis_busy() {
    RespConnection direct(redis_->port());
    return direct.command({"PING"}).str.rfind("BUSY", 0) == 0;
  }

 protected:
  TempDir dir_{"funnel-oob"};
};

// One try: `runaway` keeps Redis busy; a client of a database nobody used yet (its links meet
// the busy server in their handshake) is refused; the kill stops the script; then that client,
// and every other, is served at once.
void kill_and_recover(OutOfBandTest& test, std::uint16_t funnel_port,
                      const std::vector<std::string>& runaway, const std::string& subject, int db) {
  RespConnection runner(funnel_port, 20s);
  RespConnection killer(funnel_port);
  RespConnection late(funnel_port);
  ASSERT_EQ(late.command({"SELECT", std::to_string(db)}).str, "OK");
  runner.send_command(runaway);
  ASSERT_TRUE(wait_until([&] { return test.redis_busy(); }));
  const resp::Value refused = late.command({"GET", "k"});
  EXPECT_TRUE(refused.is_error()) << refused.str;
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(killer.command({subject, "KILL"}).str, "OK") << "db " << db;
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 1s);
  EXPECT_NE(runner.read_value().str.find("killed by user"), std::string::npos);
  // Redis answers again, and so does Funnel: no link waits out a reconnect backoff.
  EXPECT_EQ(late.command({"SET", "k", "v"}).str, "OK") << "db " << db;
  EXPECT_EQ(runner.command({"GET", "k"}).is_null(), true);
}

// Before: a link whose handshake met BUSY backed off exponentially (up to 5 s), so after the
// kill its clients kept getting "backend unavailable (handshake refused: BUSY ...)": 3 of 5
// tries with two workers.
TEST_F(OutOfBandTest, ScriptKillThenEveryLinkServesAtOnce) {
  for (const char* workers : {"1", "2"}) {
    start_open(workers);
    for (int i = 0; i < 20; ++i) {  // databases 1-15 meet the busy server in their handshake
      kill_and_recover(*this, funnel_->port(), {"EVAL", "while true do end", "0"}, "SCRIPT",
                       1 + i % 15);
      if (HasFailure()) return;
    }
    TearDown();
    funnel_.reset();
  }
}

TEST_F(OutOfBandTest, FunctionKillThenEveryLinkServesAtOnce) {
  start_open("2");
  RespConnection c(funnel_->port());
  ASSERT_EQ(c.command({"FUNCTION", "LOAD", kSpinLibrary}).str, "spin");
  for (int db = 1; db <= 10; ++db) {
    kill_and_recover(*this, funnel_->port(), {"FCALL", "spin", "0"}, "FUNCTION", db);
    if (HasFailure()) return;
  }
}

// Before: SHUTDOWN queued on the client's shared link behind the running script, and Redis
// kept running it for ever.
TEST_F(OutOfBandTest, ShutdownNosaveStopsABusyServer) {
  start_open("1");
  RespConnection runner(funnel_->port(), 20s);
  RespConnection admin(funnel_->port());
  runner.send_command({"EVAL", "redis.call('SET', 'x', 1) while true do end", "0"});
  ASSERT_TRUE(wait_until([&] { return redis_busy(); }));
  admin.send_command({"SHUTDOWN", "NOSAVE"});
  EXPECT_TRUE(wait_until([&] { return !redis_->running(); }, 5s));
}

}  // namespace
}  // namespace funnel::test
