// The topology monitor driven directly on an io_context (no funnel process): real redis-server
// primaries and replicas and real redis-sentinel processes on free loopback ports. Each test
// builds a Config in code, runs first_round() then start(), and watches what the listener hears.
#include "topology/topology_monitor.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <mutex>
#include <thread>

#include "support/fake_backend.hpp"
#include "support/net.hpp"
#include "support/redis_sentinel.hpp"
#include "support/redis_server.hpp"
#include "support/resp_connection.hpp"
#include "support/wait.hpp"
#include "tcp_forwarder.hpp"

namespace funnel::test {
namespace {
using topology::NodeStatus;
using topology::TopologyMonitor;
using topology::TopologyView;

config::HostPort local(std::uint16_t port) {
  return config::HostPort{"127.0.0.1", port};
}

config::Config base_config() {
  config::Config config;
  config.topology.health_interval_ms = 200;
  config.topology.max_replica_lag_s = 1;
  return config;
}

// Runs a TopologyMonitor on its own io_context thread and keeps every view the listener hears.
class MonitorRun {
 public:
  struct Heard {
    Clock::time_point at;
    TopologyView view;
  };

  explicit MonitorRun(config::Config config) : config_(std::move(config)) {
    settings_.connect_timeout_ms = 500;
    settings_.request_timeout_ms = 1000;
    monitor_ = std::make_unique<TopologyMonitor>(io_, config_, settings_,
                                                 [this](const TopologyView& view) {
                                                   std::lock_guard lock(mutex_);
                                                   heard_.push_back({Clock::now(), view});
                                                 });
    offsets_ = monitor_->offsets();
    asio::co_spawn(
        io_,
        [this]() -> asio::awaitable<void> {
          co_await monitor_->first_round();
          monitor_->start();
        },
        asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~MonitorRun() {
    asio::post(io_, [this] {
      monitor_->stop();
      io_.stop();
    });
    thread_.join();
  }

  TopologyView latest() const {
    std::lock_guard lock(mutex_);
    return heard_.empty() ? TopologyView{} : heard_.back().view;
  }
  std::vector<Heard> heard() const {
    std::lock_guard lock(mutex_);
    return heard_;
  }
  // Waits until the latest view satisfies `check`; returns when it was heard.
  template <typename Check>
  std::optional<Clock::time_point> wait_for(Check check,
                                            std::chrono::milliseconds timeout = 10s) const {
    std::optional<Clock::time_point> at;
    wait_until(
        [&] {
          std::lock_guard lock(mutex_);
          if (!heard_.empty() && check(heard_.back().view)) at = heard_.back().at;
          return at.has_value();
        },
        timeout);
    return at;
  }
  void post(std::function<void(TopologyMonitor&)> action) {
    asio::post(io_, [this, action] { action(*monitor_); });
  }
  routing::OffsetBoard& offsets() const { return *offsets_; }

 private:
  config::Config config_;
  backend::LinkSettings settings_;
  asio::io_context io_{1};
  std::unique_ptr<TopologyMonitor> monitor_;
  std::shared_ptr<routing::OffsetBoard> offsets_;
  mutable std::mutex mutex_;
  std::vector<Heard> heard_;
  std::thread thread_;
};

const NodeStatus* node_on(const TopologyView& view, std::uint16_t port) {
  for (const auto& node : view.nodes) {
    if (!node.endpoints.empty() && node.endpoints.front().port() == port) return &node;
  }
  return nullptr;
}

std::uint16_t primary_port(const TopologyView& view) {
  const NodeStatus* primary = view.primary_node();
  return primary == nullptr || primary->endpoints.empty() ? 0 : primary->endpoints.front().port();
}

bool readable(const TopologyView& view, std::uint16_t port) {
  const NodeStatus* node = node_on(view, port);
  return node != nullptr && node->readable;
}

std::string describe(const TopologyView& view) {
  std::string out = "primary " + std::to_string(primary_port(view)) + " (" + view.error + ")";
  for (const auto& node : view.nodes) {
    out += "; " + node.address.to_string() + " id " + std::to_string(node.node_id) + " role " +
           std::to_string(static_cast<int>(node.role)) + (node.reachable ? " up" : " down") +
           (node.readable ? " readable" : " not-readable") + " [" + node.reason + "]";
  }
  return out;
}

// One node is the primary whatever happens to it, and the monitor opens no health link to it:
// Control's own link checks it, so the backend sees the connections it saw before topology.
TEST(TopologyMonitor, SingleSourceIsAlwaysThePrimaryAndOpensNoLink) {
  auto redis = RedisServer::start();
  config::Config config = base_config();
  config.backend.address = local(redis->port());
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == redis->port() && !v.nodes[0].endpoints.empty();
  })) << describe(run.latest());
  RespConnection admin(redis->port());
  const std::string clients = admin.command({"CLIENT", "LIST"}).str;
  EXPECT_EQ(clients.find("funnel:health"), std::string::npos) << clients;
  redis->stop();
  run.post([](TopologyMonitor& monitor) { monitor.refresh_now(); });
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) { return primary_port(v) == redis->port(); }))
      << describe(run.latest());
  EXPECT_EQ(run.latest().nodes.size(), 1u);
  EXPECT_EQ(run.latest().failovers, 0u);
}

TEST(TopologyMonitor, SingleSourceResolvesAName) {
  auto redis = RedisServer::start();
  config::Config config = base_config();
  config.backend.address = config::HostPort{"localhost", redis->port()};
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == redis->port() && !v.nodes[0].endpoints.empty();
  })) << describe(run.latest());
  const NodeStatus node = run.latest().nodes[0];
  EXPECT_EQ(node.address.host, "localhost");
  for (const auto& endpoint : node.endpoints) {
    EXPECT_TRUE(endpoint.address().is_loopback()) << endpoint.address().to_string();
  }
}

// Control::bootstrap runs the first round with io_context::run() until it runs out of work, so
// first_round() must leave nothing running (the loops start in start()).
TEST(TopologyMonitor, FirstRoundLeavesNoWorkBehindThenStartRunsTheLoops) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  auto sentinel = RedisSentinel::start(primary->port());
  ASSERT_TRUE(sentinel->wait_for_replicas(1));
  config::Config config = base_config();
  config.topology.sentinels = {local(sentinel->port())};
  config.topology.sentinel_master = sentinel->master_name();
  config.topology.read_your_writes = "process";
  backend::LinkSettings settings;
  asio::io_context io{1};
  int reports = 0;
  TopologyMonitor monitor(io, config, settings, [&](const TopologyView&) { ++reports; });
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await monitor.first_round();
        done = true;
      },
      asio::detached);
  const auto started = Clock::now();
  io.run_for(10s);
  EXPECT_TRUE(done);
  EXPECT_LT(Clock::now() - started, 5s);  // returned for lack of work, not at the time limit
  EXPECT_EQ(reports, 1);
  ASSERT_TRUE(monitor.view().primary);
  EXPECT_EQ(primary_port(monitor.view()), primary->port());
  // Offsets flow once started.
  io.restart();
  monitor.start();
  auto offsets = monitor.offsets();
  const std::uint32_t replica_id = node_on(monitor.view(), replica->port())->node_id;
  std::thread runner([&] { io.run(); });
  const bool polled = wait_until([&] { return offsets->node_offset(replica_id) > 0; }, 5s);
  asio::post(io, [&] {
    monitor.stop();
    io.stop();
  });
  runner.join();
  EXPECT_TRUE(polled);
}

TEST(TopologyMonitor, StaticRolesAreHintsAndRoleWins) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  config::Config config = base_config();
  // Hints swapped on purpose: the configured "primary" is the replica.
  config.backend.address = local(replica->port());
  config.topology.replicas = {local(primary->port())};
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == primary->port() && readable(v, replica->port());
  })) << describe(run.latest());
  const TopologyView view = run.latest();
  EXPECT_EQ(view.nodes.size(), 2u);
  EXPECT_EQ(node_on(view, replica->port())->role, routing::Role::kReplica);
  EXPECT_FALSE(node_on(view, primary->port())->readable);  // the read set is replicas
  EXPECT_EQ(view.failovers, 0u);
}

TEST(TopologyMonitor, DiscoveryFromAReplicaSeedFindsThePrimaryAndEveryReplica) {
  auto primary = RedisServer::start();
  auto first = RedisServer::start_replica_of(primary->port());
  auto second = RedisServer::start_replica_of(primary->port());
  // A primary's ROLE lists a replica only once it is online (its first REPLCONF ACK), a moment
  // after the replica reports its link up; wait for that so one round can see both.
  ASSERT_TRUE(wait_until([&] {
    RespConnection conn(primary->port());
    const resp::Value role = conn.command({"ROLE"});
    return role.elems.size() == 3 && role.elems[2].elems.size() == 2;
  }));
  config::Config config = base_config();
  config.topology.discover = local(first->port());
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == primary->port() && readable(v, first->port()) &&
           readable(v, second->port());
  })) << describe(run.latest());
  EXPECT_EQ(run.latest().nodes.size(), 3u);
  // The first report already had all three: discovery runs within one round.
  EXPECT_EQ(run.heard().front().view.nodes.size(), 3u) << describe(run.heard().front().view);
}

// A manual failover without Sentinel (REPLICAOF NO ONE on a replica, the old primary and the
// other replica pointed at it): ROLE moves the primary for the static and discover sources.
void manual_failover_is_followed(bool discover) {
  auto primary = RedisServer::start();
  auto promoted = RedisServer::start_replica_of(primary->port());
  auto other = RedisServer::start_replica_of(primary->port());
  config::Config config = base_config();
  if (discover) {
    config.topology.discover = local(other->port());
  } else {
    config.backend.address = local(primary->port());
    config.topology.replicas = {local(promoted->port()), local(other->port())};
  }
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == primary->port() && readable(v, promoted->port()) &&
           readable(v, other->port());
  })) << describe(run.latest());
  RespConnection(promoted->port()).command({"REPLICAOF", "NO", "ONE"});
  RespConnection(other->port())
      .command({"REPLICAOF", "127.0.0.1", std::to_string(promoted->port())});
  RespConnection(primary->port())
      .command({"REPLICAOF", "127.0.0.1", std::to_string(promoted->port())});
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == promoted->port() && readable(v, other->port()) &&
           readable(v, primary->port());
  })) << describe(run.latest());
  EXPECT_EQ(run.latest().failovers, 1u);
  EXPECT_EQ(run.latest().nodes.size(), 3u);
}

TEST(TopologyMonitor, StaticFollowsAManualFailover) {
  manual_failover_is_followed(false);
}

TEST(TopologyMonitor, DiscoveryFollowsAManualFailover) {
  manual_failover_is_followed(true);
}

// Replication through a relay (or NAT, a port mapping): the replica's ROLE names an address that
// is no known node, which is fine; naming a known node other than the primary is not.
TEST(TopologyMonitor, AReplicaBehindARelayIsReadableOneFollowingAnotherNodeIsNot) {
  auto primary = RedisServer::start();
  TcpForwarder relay(primary->port());
  auto relayed = RedisServer::start_replica_of(relay.port());
  auto stray = RedisServer::start();  // a master of its own, configured as a replica
  auto follower = RedisServer::start_replica_of(stray->port());
  config::Config config = base_config();
  config.backend.address = local(primary->port());
  config.topology.replicas = {local(relayed->port()), local(stray->port()),
                              local(follower->port())};
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    const NodeStatus* node = node_on(v, follower->port());
    return readable(v, relayed->port()) && node != nullptr && node->reachable &&
           !node->reason.empty();
  })) << describe(run.latest());
  const TopologyView view = run.latest();
  EXPECT_EQ(primary_port(view), primary->port());  // two masters, one replica each: the hint
  EXPECT_FALSE(readable(view, follower->port()));
  EXPECT_EQ(node_on(view, follower->port())->reason,
            "replica of 127.0.0.1:" + std::to_string(stray->port()) + ", not of the primary");
}

TEST(TopologyMonitor, AStoppedReplicaLeavesTheReadSetAndComesBack) {
  auto primary = RedisServer::start();
  auto stopped = RedisServer::start_replica_of(primary->port());
  auto other = RedisServer::start_replica_of(primary->port());
  config::Config config = base_config();
  config.backend.address = local(primary->port());
  config.topology.replicas = {local(stopped->port()), local(other->port())};
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return readable(v, stopped->port()) && readable(v, other->port());
  })) << describe(run.latest());
  ASSERT_EQ(::kill(stopped->pid(), SIGSTOP), 0);
  auto out = run.wait_for([&](const TopologyView& v) {
    return !readable(v, stopped->port()) && readable(v, other->port());
  });
  ::kill(stopped->pid(), SIGCONT);
  ASSERT_TRUE(out) << describe(run.latest());
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return readable(v, stopped->port()) && readable(v, other->port());
  })) << describe(run.latest());
}

TEST(TopologyMonitor, AKilledReplicaBecomesUnreachable) {
  auto primary = RedisServer::start();
  auto victim = RedisServer::start_replica_of(primary->port());
  config::Config config = base_config();
  config.backend.address = local(primary->port());
  config.topology.replicas = {local(victim->port())};
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) { return readable(v, victim->port()); }))
      << describe(run.latest());
  ASSERT_EQ(::kill(victim->pid(), SIGKILL), 0);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    const NodeStatus* node = node_on(v, victim->port());
    return node != nullptr && !node->reachable && !node->readable;
  })) << describe(run.latest());
  EXPECT_EQ(primary_port(run.latest()), primary->port());
}

TEST(TopologyMonitor, AReportedFailureTakesAReplicaOutAtOnceUntilTheNextRound) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  config::Config config = base_config();
  config.topology.health_interval_ms = 3000;  // the way back is the next round, not soon
  config.backend.address = local(primary->port());
  config.topology.replicas = {local(replica->port())};
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) { return readable(v, replica->port()); }));
  const std::uint32_t id = node_on(run.latest(), replica->port())->node_id;
  const auto reported = Clock::now();
  run.post([id](TopologyMonitor& monitor) { monitor.report_node_failure(id, "timeout"); });
  auto out = run.wait_for([&](const TopologyView& v) { return !readable(v, replica->port()); });
  ASSERT_TRUE(out);
  EXPECT_LT(*out - reported, 500ms);
  EXPECT_EQ(node_on(run.latest(), replica->port())->reason, "failed a request: timeout");
  // refresh_now() runs a round at once: the replica is healthy, so it is back.
  run.post([](TopologyMonitor& monitor) { monitor.refresh_now(); });
  ASSERT_TRUE(
      run.wait_for([&](const TopologyView& v) { return readable(v, replica->port()); }, 2s));
}

TEST(TopologyMonitor, OffsetsReachTheBoardWithReadYourWrites) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  config::Config config = base_config();
  config.backend.address = local(primary->port());
  config.topology.replicas = {local(replica->port())};
  config.topology.read_your_writes = "client";
  config.topology.offset_poll_ms = 5;
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) { return readable(v, replica->port()); }));
  const std::uint32_t replica_id = node_on(run.latest(), replica->port())->node_id;
  RespConnection writer(primary->port());
  const auto repl_offset = [&] {
    const std::string info = writer.command({"INFO", "replication"}).str;
    const std::size_t at = info.find("master_repl_offset:");
    return std::stoll(info.substr(at + std::strlen("master_repl_offset:")));
  };
  const std::int64_t before = repl_offset();
  for (int i = 0; i < 50; ++i) writer.command({"SET", "key" + std::to_string(i), "value"});
  const std::int64_t written_ns = common::precise_now_ns();
  const std::int64_t after = repl_offset();
  std::int64_t needed = -1;
  ASSERT_TRUE(wait_until(
      [&] {
        needed = run.offsets().primary_offset_after(written_ns);
        return needed > 0;
      },
      2s));
  // A poll sent after the writes' replies includes them (and maybe a replication PING more).
  EXPECT_GT(needed, before);
  EXPECT_GE(needed, after);
  ASSERT_TRUE(wait_until([&] { return run.offsets().node_offset(replica_id) >= needed; }, 2s))
      << run.offsets().node_offset(replica_id) << " < " << needed;
}

TEST(TopologyMonitor, DiscoveryDropsAReplicaThatIsGoneAndDead) {
  auto primary = RedisServer::start();
  auto victim = RedisServer::start_replica_of(primary->port());
  auto survivor = RedisServer::start_replica_of(primary->port());
  config::Config config = base_config();
  config.topology.discover = local(primary->port());
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return readable(v, victim->port()) && readable(v, survivor->port());
  })) << describe(run.latest());
  const std::uint32_t survivor_id = node_on(run.latest(), survivor->port())->node_id;
  victim->stop();
  // Unreachable at once; gone from the view after a few rounds out of the primary's ROLE.
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return node_on(v, victim->port()) == nullptr && v.nodes.size() == 2;
  })) << describe(run.latest());
  EXPECT_TRUE(readable(run.latest(), survivor->port()));
  EXPECT_EQ(node_on(run.latest(), survivor->port())->node_id, survivor_id);  // ids are stable
  EXPECT_EQ(primary_port(run.latest()), primary->port());
}

TEST(TopologyMonitor, SentinelWithAPasswordAndAnUnreachableFirstSentinel) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  SentinelOptions options;
  options.requirepass = "sentinel-secret";
  auto sentinel = RedisSentinel::start(primary->port(), options);
  ASSERT_TRUE(sentinel->wait_for_replicas(1));
  config::Config config = base_config();
  // The first sentinel listed is down: the monitor asks the next one.
  config.topology.sentinels = {local(free_port()), local(sentinel->port())};
  config.topology.sentinel_master = sentinel->master_name();
  config.topology.sentinel_password = "sentinel-secret";
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == primary->port() && readable(v, replica->port());
  })) << describe(run.latest());
}

TEST(TopologyMonitor, SentinelRefusingTheCredentialsMeansNoPrimaryAndSaysWhy) {
  auto primary = RedisServer::start();
  SentinelOptions options;
  options.requirepass = "sentinel-secret";
  auto sentinel = RedisSentinel::start(primary->port(), options);
  config::Config config = base_config();
  config.topology.sentinels = {local(sentinel->port())};
  config.topology.sentinel_master = sentinel->master_name();
  config.topology.sentinel_password = "wrong";
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) { return !v.error.empty(); }))
      << describe(run.latest());
  const TopologyView view = run.latest();
  EXPECT_FALSE(view.primary);
  EXPECT_NE(view.error.find("WRONGPASS"), std::string::npos) << view.error;
}

// A scripted "sentinel" (FakeBackend) that names whichever port the test says, to show what the
// monitor does while Sentinel names a node whose ROLE still says slave.
TEST(TopologyMonitor, ANodeSentinelNamesIsNotPrimaryUntilItsRoleSaysMaster) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  std::atomic<std::uint16_t> named{replica->port()};
  auto fake_sentinel = FakeBackend::start([&](const std::vector<std::string>& args, int) {
    if (args.size() == 3 && args[0] == "SENTINEL" && args[1] == "get-master-addr-by-name") {
      const std::string port = std::to_string(named.load());
      return FakeBackend::Action::reply("*2\r\n$9\r\n127.0.0.1\r\n$" + std::to_string(port.size()) +
                                        "\r\n" + port + "\r\n");
    }
    if (args.size() == 3 && args[0] == "SENTINEL" && args[1] == "replicas") {
      return FakeBackend::Action::reply("*0\r\n");
    }
    if (!args.empty() && args[0] == "SUBSCRIBE") return FakeBackend::Action::hang();
    return FakeBackend::Action::default_reply();
  });
  config::Config config = base_config();
  config.topology.sentinels = {local(fake_sentinel->port())};
  config.topology.sentinel_master = "mymaster";
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) { return !v.nodes.empty(); }));
  TopologyView view = run.latest();
  EXPECT_FALSE(view.primary) << describe(view);
  EXPECT_EQ(view.error, "sentinel names 127.0.0.1:" + std::to_string(replica->port()) +
                            " as primary but its ROLE says replica (failover in progress)");
  named = primary->port();
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == primary->port();
  })) << describe(run.latest());
  EXPECT_EQ(run.latest().failovers, 0u);  // the first primary known, not a change
}

// Reads the sentinel's +switch-master announcement on a connection of the test's own and says
// when it arrived, to measure how long the monitor's listener took after it.
class SwitchMasterWatch {
 public:
  explicit SwitchMasterWatch(std::uint16_t sentinel_port) : conn_(sentinel_port, 20s) {
    conn_.command({"SUBSCRIBE", "+switch-master"});
    thread_ = std::thread([this] {
      try {
        conn_.read_value();
        at_ = Clock::now();
      } catch (const std::exception&) {
      }
    });
  }
  ~SwitchMasterWatch() {
    conn_.close();
    if (thread_.joinable()) thread_.join();
  }
  std::optional<Clock::time_point> wait() {
    thread_.join();
    return at_;
  }

 private:
  RespConnection conn_;
  std::optional<Clock::time_point> at_;
  std::thread thread_;
};

config::Config sentinel_config(const RedisSentinel& sentinel) {
  config::Config config = base_config();
  config.topology.sentinels = {local(sentinel.port())};
  config.topology.sentinel_master = sentinel.master_name();
  // Slow periodic work, so that a quick switch can only come from the event subscription.
  config.topology.health_interval_ms = 5000;
  config.topology.sentinel_refresh_ms = 5000;
  return config;
}

TEST(TopologyMonitor, NoSentinelAnswersTheFirstReportSaysWhy) {
  config::Config config = base_config();
  const std::uint16_t nobody = free_port();
  config.topology.sentinels = {local(nobody)};
  config.topology.sentinel_master = "mymaster";
  const auto started = Clock::now();
  MonitorRun run(config);
  auto heard = run.wait_for([](const TopologyView& v) { return !v.error.empty(); }, 5s);
  ASSERT_TRUE(heard);
  EXPECT_LT(*heard - started, 2s);  // bounded by the connect timeout, not waiting forever
  const TopologyView view = run.latest();
  EXPECT_FALSE(view.primary);
  EXPECT_TRUE(view.nodes.empty());
  EXPECT_EQ(view.error, "sentinel 127.0.0.1:" + std::to_string(nobody) + ": Connection refused");
}

// Only the sentinel leading a failover publishes its steps (+try-failover, ...), so the monitor
// subscribes to every sentinel (issue #17 item 3): before, only to the first, and a failover led
// by another one was heard only at its +switch-master.
TEST(TopologyMonitor, EverySentinelIsSubscribed) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  auto first = RedisSentinel::start(primary->port());
  auto second = RedisSentinel::start(primary->port());
  ASSERT_TRUE(second->wait_for_replicas(1));
  config::Config config = sentinel_config(*first);
  config.topology.sentinels.push_back(local(second->port()));
  MonitorRun run(config);
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == primary->port() && readable(v, replica->port());
  })) << describe(run.latest());
  const std::string subscribed =
      "sub=" + std::to_string(topology::sentinel_event_channels().size());
  const auto subscriber_on = [&](RedisSentinel& sentinel, const std::string& name) {
    const std::string clients = sentinel.command({"CLIENT", "LIST"}).str;
    const std::size_t at = clients.find("name=" + name + " ");
    return at != std::string::npos && clients.find(subscribed, at) != std::string::npos;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        return subscriber_on(*first, "funnel:sentinel-events:0") &&
               subscriber_on(*second, "funnel:sentinel-events:1");
      },
      5s))
      << first->command({"CLIENT", "LIST"}).str << "\n"
      << second->command({"CLIENT", "LIST"}).str;
  first->stop();  // one sentinel goes away: the other's subscription is there already
  SwitchMasterWatch watch(second->port());
  second->failover();
  auto switched =
      run.wait_for([&](const TopologyView& v) { return primary_port(v) == replica->port(); }, 15s);
  auto announced = watch.wait();
  ASSERT_TRUE(switched && announced) << describe(run.latest()) << "\n" << second->log();
  // sentinel_refresh_ms is 5 s here: only the subscription can be this quick.
  EXPECT_LT(*switched - *announced, 1000ms);
}

TEST(TopologyMonitor, SentinelFailoverMovesThePrimaryAtOnce) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  auto sentinel = RedisSentinel::start(primary->port());
  ASSERT_TRUE(sentinel->wait_for_replicas(1));
  MonitorRun run(sentinel_config(*sentinel));
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == primary->port() && readable(v, replica->port());
  })) << describe(run.latest());
  SwitchMasterWatch watch(sentinel->port());
  sentinel->failover();
  auto switched =
      run.wait_for([&](const TopologyView& v) { return primary_port(v) == replica->port(); }, 15s);
  auto announced = watch.wait();
  ASSERT_TRUE(switched) << describe(run.latest()) << "\n" << sentinel->log();
  ASSERT_TRUE(announced);
  const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(*switched - *announced);
  std::printf("[ MEASURED ] listener heard the new primary %lld ms after +switch-master\n",
              static_cast<long long>(delay.count()));
  EXPECT_LT(delay, 1000ms);
  EXPECT_EQ(run.latest().failovers, 1u);
}

TEST(TopologyMonitor, SentinelFollowsAKilledPrimary) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  auto other = RedisServer::start_replica_of(primary->port());
  auto sentinel = RedisSentinel::start(primary->port());
  ASSERT_TRUE(sentinel->wait_for_replicas(2));
  MonitorRun run(sentinel_config(*sentinel));
  ASSERT_TRUE(run.wait_for([&](const TopologyView& v) {
    return primary_port(v) == primary->port() && readable(v, replica->port()) &&
           readable(v, other->port());
  })) << describe(run.latest());
  SwitchMasterWatch watch(sentinel->port());
  const auto killed = Clock::now();
  ASSERT_EQ(::kill(primary->pid(), SIGKILL), 0);
  // Sentinel promotes one of the two replicas.
  auto switched = run.wait_for(
      [&](const TopologyView& v) {
        return primary_port(v) == replica->port() || primary_port(v) == other->port();
      },
      15s);
  auto announced = watch.wait();
  ASSERT_TRUE(switched) << describe(run.latest()) << "\n" << sentinel->log();
  ASSERT_TRUE(announced);
  const auto ms = [](auto d) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  std::printf("[ MEASURED ] kill -> +switch-master %lld ms, +switch-master -> listener %lld ms\n",
              ms(*announced - killed), ms(*switched - *announced));
  EXPECT_LT(*switched - *announced, 1000ms);
  EXPECT_EQ(run.latest().failovers, 1u);
  // The other replica is moved to the new primary by Sentinel and serves reads again; the dead
  // primary is not readable.
  const std::uint16_t still_replica =
      primary_port(run.latest()) == replica->port() ? other->port() : replica->port();
  auto resynced = run.wait_for(
      [&](const TopologyView& v) {
        return readable(v, still_replica) && !readable(v, primary->port());
      },
      15s);
  ASSERT_TRUE(resynced) << describe(run.latest());
  std::printf("[ MEASURED ] +switch-master -> other replica readable again %lld ms\n",
              ms(*resynced - *announced));
}

}  // namespace
}  // namespace funnel::test
