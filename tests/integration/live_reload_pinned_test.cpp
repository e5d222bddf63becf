// Live reload of the keys that were restart-only until session 11 (issue #17, item 1): the pinned
// pool's bounds and the hot-key sampling, each against a real redis-server after the --config
// file is rewritten and FUNNEL RELOAD. On main each key was reported as "kept until a restart"
// and the running value stayed: each test failed on its first check after the reload.
#include <chrono>

#include "harness.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

resp::Value reload(RespConnection& control) {
  return control.command({"FUNNEL", "RELOAD"});
}

std::string pinned_config(int max_pinned, int borrow_ms) {
  return "[backend]\nmax_pinned = " + std::to_string(max_pinned) +
         "\npinned_borrow_timeout_ms = " + std::to_string(borrow_ms) + "\n";
}

// backend.max_pinned and backend.pinned_borrow_timeout_ms: a raised bound lets a second client
// WATCH at once; a lowered one leaves both pinned clients their links (their EXECs succeed),
// refuses a third after the new borrow timeout, and keeps no link beyond it once they finish.
TEST(LiveReloadPinnedTest, PinnedBoundsChangeLiveWithoutClosingLessees) {
  TempDir dir("funnel-live-pinned");
  auto redis = RedisServer::start();
  const std::string file = dir.write("funnel.toml", pinned_config(1, 300));
  auto funnel = FunnelProcess::start(
      {"--config", file, "--backend", backend_arg(redis->port()), "--workers", "2"});
  const auto pinned_links = [&] {
    return count_prefix(funnel_link_names(redis->port()), "funnel:pinned:");
  };
  RespConnection control(funnel->port());
  RespConnection first(funnel->port());
  RespConnection second(funnel->port());
  ASSERT_EQ(first.command({"WATCH", "a"}).str, "OK");
  const resp::Value refused = second.command({"WATCH", "b"});
  ASSERT_TRUE(refused.is_error()) << refused.str;
  EXPECT_NE(refused.str.find("backend.max_pinned = 1"), std::string::npos) << refused.str;

  dir.write("funnel.toml", pinned_config(2, 300));
  const resp::Value raised = reload(control);
  ASSERT_FALSE(raised.is_error()) << raised.str;
  EXPECT_NE(raised.str.find("applied backend.max_pinned"), std::string::npos) << raised.str;
  EXPECT_EQ(raised.str.find("kept until a restart"), std::string::npos) << raised.str;
  ASSERT_EQ(second.command({"WATCH", "b"}).str, "OK") << "the raised bound was not applied";
  EXPECT_TRUE(wait_until([&] { return pinned_links() == 2u; }, 10s)) << pinned_links();

  dir.write("funnel.toml", pinned_config(1, 100));
  const resp::Value lowered = reload(control);
  ASSERT_FALSE(lowered.is_error()) << lowered.str;
  EXPECT_NE(lowered.str.find("backend.pinned_borrow_timeout_ms"), std::string::npos) << lowered.str;
  RespConnection third(funnel->port());
  const auto start = Clock::now();
  const resp::Value waited = third.command({"WATCH", "c"});
  EXPECT_TRUE(waited.is_error()) << waited.str;
  EXPECT_NE(waited.str.find("within 100 ms"), std::string::npos) << waited.str;
  EXPECT_LT(Clock::now() - start, 250ms) << "the old borrow timeout (300 ms) was used";
  // The lessees over the new bound keep their links and finish.
  for (RespConnection* lessee : {&first, &second}) {
    ASSERT_EQ(lessee->command({"MULTI"}).str, "OK");
    ASSERT_EQ(lessee->command({"SET", "x", "1"}).str, "QUEUED");
    const resp::Value exec = lessee->command({"EXEC"});
    ASSERT_EQ(exec.type, resp::ValueType::kArray) << exec.str;
  }
  EXPECT_TRUE(wait_until([&] { return pinned_links() <= 1u; }, 10s))
      << pinned_links() << " pinned links kept over max_pinned = 1";
  // The link left open may be idle on the other worker: that worker gives it up at its next
  // tick (every 100 ms, PinnedPool::tick), which can be later than this borrow timeout (100 ms),
  // so the client may get the timeout once and succeed on its next try (the error says the
  // command was not run). The fresh-clone CI of 4e1d808 failed here once that way.
  std::string watched;
  EXPECT_TRUE(wait_until(
      [&] {
        watched = third.command({"WATCH", "c"}).str;
        return watched == "OK";
      },
      2s))
      << watched;
}

// backend.max_database_pools: 1 at start (SELECT 2 refused once database 1 has its pool); raised
// to 2, SELECT 2 works; lowered to 1 again, the admitted databases keep working and a third is
// refused.
TEST(LiveReloadPinnedTest, DatabasePoolBoundChangesLive) {
  TempDir dir("funnel-live-pinned");
  auto redis = RedisServer::start();
  const auto config = [](int pools) {
    return "[backend]\nmax_database_pools = " + std::to_string(pools) + "\n";
  };
  const std::string file = dir.write("funnel.toml", config(1));
  auto funnel = FunnelProcess::start(
      {"--config", file, "--backend", backend_arg(redis->port()), "--workers", "1"});
  RespConnection client(funnel->port());
  ASSERT_EQ(client.command({"SELECT", "1"}).str, "OK");
  ASSERT_TRUE(client.command({"SELECT", "2"}).is_error());

  dir.write("funnel.toml", config(2));
  const resp::Value raised = reload(client);
  ASSERT_FALSE(raised.is_error()) << raised.str;
  EXPECT_EQ(raised.str.find("kept until a restart"), std::string::npos) << raised.str;
  ASSERT_EQ(client.command({"SELECT", "2"}).str, "OK") << "the raised bound was not applied";
  ASSERT_EQ(client.command({"SET", "k", "2"}).str, "OK");

  dir.write("funnel.toml", config(1));
  ASSERT_FALSE(reload(client).is_error());
  const resp::Value third = client.command({"SELECT", "3"});
  EXPECT_TRUE(third.is_error());
  EXPECT_NE(third.str.find("max_database_pools = 1"), std::string::npos) << third.str;
  ASSERT_EQ(client.command({"SELECT", "1"}).str, "OK");
  ASSERT_EQ(client.command({"SELECT", "2"}).str, "OK");
  EXPECT_EQ(client.command({"GET", "k"}).str, "2");
}

// shield.hotkeys_sample_every: off at start (FUNNEL HOTKEYS says so), on after the reload (the
// hot key is counted), off again after another.
TEST(LiveReloadPinnedTest, HotKeySamplingTurnsOnAndOffLive) {
  TempDir dir("funnel-live-pinned");
  auto redis = RedisServer::start();
  const auto config = [](int every) {
    return "[shield]\nhotkeys_sample_every = " + std::to_string(every) + "\nhotkeys_window_s = 5\n";
  };
  const std::string file = dir.write("funnel.toml", config(0));
  auto funnel = FunnelProcess::start(
      {"--config", file, "--backend", backend_arg(redis->port()), "--workers", "1"});
  RespConnection client(funnel->port());
  ASSERT_TRUE(client.command({"FUNNEL", "HOTKEYS"}).is_error());

  dir.write("funnel.toml", config(1));
  const resp::Value on = reload(client);
  ASSERT_FALSE(on.is_error()) << on.str;
  EXPECT_EQ(on.str.find("kept until a restart"), std::string::npos) << on.str;
  for (int i = 0; i < 50; ++i) ASSERT_EQ(client.command({"SET", "hot", "v"}).str, "OK");
  EXPECT_TRUE(wait_until(
      [&] {
        const resp::Value top = client.command({"FUNNEL", "HOTKEYS"});
        return !top.is_error() && !top.elems.empty() && !top.elems[0].elems.empty() &&
               top.elems[0].elems[0].str == "hot";
      },
      10s))
      << "the hot key was not counted after sampling was turned on";

  dir.write("funnel.toml", config(0));
  ASSERT_FALSE(reload(client).is_error());
  EXPECT_TRUE(client.command({"FUNNEL", "HOTKEYS"}).is_error());
}

}  // namespace
}  // namespace funnel::test
