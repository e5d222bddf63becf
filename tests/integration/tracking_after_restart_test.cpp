// Client-side caching (CLIENT TRACKING) and MONITOR after the backend restarts or the primary
// moves (issue #17, session 11). A client connected to Redis directly loses its connection: its
// library flushes its cache and enables tracking again on reconnect. Through Funnel the client's
// tracking link was lost while its own connection stayed open and silent, so a write after the
// restart never reached it as an invalidation and its cache stayed stale: on main each test here
// timed out waiting for the close (the tracking client heard nothing).
#include <chrono>

#include "harness.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;

void enable_tracking(RespConnection& tracker) {
  ASSERT_FALSE(tracker.command({"HELLO", "3"}).is_error());
  ASSERT_EQ(tracker.command({"CLIENT", "TRACKING", "on"}).str, "OK");
}

// Redis restarted on the same port: the tracking client is closed (the key it read is written
// after the restart; before, it heard no invalidation and stayed connected). Other clients go
// on, and a new tracking client hears invalidations again.
TEST(TrackingAfterRestartTest, TrackingClientIsClosedWhenRedisRestarts) {
  auto redis = RedisServer::start();
  auto funnel = FunnelProcess::start({"--backend", backend_arg(redis->port()), "--workers", "2"});
  RespConnection tracker(funnel->port());
  enable_tracking(tracker);
  RespConnection writer(funnel->port());
  ASSERT_EQ(writer.command({"SET", "cached", "1"}).str, "OK");
  ASSERT_EQ(tracker.command({"GET", "cached"}).str, "1");

  redis->restart();
  ASSERT_TRUE(wait_until([&] { return !writer.command({"SET", "cached", "2"}).is_error(); }, 10s));
  EXPECT_TRUE(tracker.closed_by_peer(5s))
      << "the tracking client stayed open without the invalidation; received: "
      << tracker.buffered();

  RespConnection again(funnel->port());
  enable_tracking(again);
  ASSERT_EQ(again.command({"GET", "cached"}).str, "2");
  ASSERT_EQ(writer.command({"SET", "cached", "3"}).str, "OK");
  const resp::Value push = again.read_value();
  EXPECT_EQ(push.type, resp::ValueType::kPush) << push.str;
}

// The primary moves (a reload of backend.address goes through the same path as a failover: the
// old primary's pinned links are retired): the tracking client is closed, as the old primary's
// connection would no longer tell it about writes, which now go to the new one.
TEST(TrackingAfterRestartTest, TrackingClientIsClosedWhenThePrimaryMoves) {
  TempDir dir("funnel-tracking-move");
  auto old_primary = RedisServer::start();
  auto new_primary = RedisServer::start();
  const auto config = [](std::uint16_t port) {
    return "[backend]\naddress = \"" + backend_arg(port) + "\"\n";
  };
  const std::string file = dir.write("funnel.toml", config(old_primary->port()));
  auto funnel = FunnelProcess::start({"--config", file, "--workers", "1"});
  RespConnection tracker(funnel->port());
  enable_tracking(tracker);
  EXPECT_TRUE(tracker.command({"GET", "cached"}).is_null());

  dir.write("funnel.toml", config(new_primary->port()));
  RespConnection control(funnel->port());
  const resp::Value reloaded = control.command({"FUNNEL", "RELOAD"});
  ASSERT_FALSE(reloaded.is_error()) << reloaded.str;
  RespConnection direct(new_primary->port());
  ASSERT_TRUE(wait_until(
      [&] {
        control.command({"SET", "cached", "moved"});
        return direct.command({"GET", "cached"}).str == "moved";
      },
      10s));
  EXPECT_TRUE(tracker.closed_by_peer(5s))
      << "the tracking client stayed on the old primary; received: " << tracker.buffered();
}

// MONITOR: its stream would stop silently after a restart; the client is closed instead.
TEST(TrackingAfterRestartTest, MonitorClientIsClosedWhenRedisRestarts) {
  auto redis = RedisServer::start();
  auto funnel = FunnelProcess::start({"--backend", backend_arg(redis->port()), "--workers", "1",
                                      "--deny-commands", "@default -monitor"});
  RespConnection monitor(funnel->port());
  ASSERT_EQ(monitor.command({"MONITOR"}).str, "OK");
  RespConnection writer(funnel->port());
  ASSERT_EQ(writer.command({"SET", "seen", "1"}).str, "OK");
  ASSERT_TRUE(wait_until(
      [&] { return monitor.read_value().str.find("\"seen\"") != std::string::npos; }, 5s));

  redis->restart();
  ASSERT_TRUE(wait_until([&] { return !writer.command({"SET", "seen", "2"}).is_error(); }, 10s));
  EXPECT_TRUE(monitor.closed_by_peer(5s))
      << "the MONITOR client stayed open with no lines; received: " << monitor.buffered();
}

}  // namespace
}  // namespace funnel::test
