// Sentinel failover through the funnel binary (issue #5, docs/topology.md#failover): a primary,
// two replicas and a real redis-sentinel (down-after-milliseconds 1000); Funnel given only
// --sentinel and --sentinel-master. Under mixed load (each client writes fresh keys of its own
// and reads them back, checking every reply), the primary fails over by SENTINEL FAILOVER or by
// SIGKILL. Writes must resume within 2 s of Sentinel's +switch-master, no reply may reach the
// wrong client, and acknowledged writes may be missing from the new primary only around the
// failover (what asynchronous replication can lose): the test prints what it measured.
//
// The failover hold (backend.failover_hold_ms, issue #17 item 3): with it, a planned SENTINEL
// FAILOVER loses no acknowledged write (Funnel stops sending to the old primary at +try-failover,
// before the promotion), and a killed primary fails fewer writes than with the hold off (both
// measured in one run against the same kill).
#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "support/redis_sentinel.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

using Ms = std::chrono::milliseconds;

struct Ack {
  std::string key;
  std::string value;
  Clock::time_point at;
  std::chrono::system_clock::time_point sent_wall;  // when its SET was sent, as Funnel logs time
};

// A wall-clock instant as Funnel's log lines begin ("2026-12-07T02:24:53.123", local time):
// compared as text with a log line's timestamp (same machine, same TZ, same format).
std::string log_time(std::chrono::system_clock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm parts{};
  localtime_r(&seconds, &parts);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return text;
}

// Per client: SET c<id>:<seq> = c<id>-<seq>, then GET it back. Every reply is classified.
class MixedLoad {
 public:
  // `prefix` keeps the keys of two loads apart; `timeout` bounds each reply's wait (a held write
  // may wait the whole hold).
  MixedLoad(std::uint16_t port, int clients, std::string prefix = "c",
            std::chrono::milliseconds timeout = 3s)
      : prefix_(std::move(prefix)), timeout_(timeout) {
    for (int c = 0; c < clients; ++c) threads_.emplace_back([this, port, c] { run(port, c); });
  }
  ~MixedLoad() { stop(); }
  void stop() {
    stopping_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  std::mutex mutex;  // guards everything below once the threads run
  std::vector<Ack> acks;
  std::vector<Clock::time_point> write_errors;  // when each failed write was sent
  std::vector<std::string> samples;             // first errors and mismatches
  std::int64_t mismatches = 0;                  // a reply that is not this client's
  std::int64_t read_errors = 0;
  // GET of a key just acknowledged gave null: a replica not there yet (read-your-writes is off
  // here; topology_ryw_test covers it), or the write was lost in the failover.
  std::int64_t stale_reads = 0;

  std::size_t ack_count() {
    std::lock_guard lock(mutex);
    return acks.size();
  }

 private:
  void note(std::int64_t& counter, const std::string& what) {
    std::lock_guard lock(mutex);
    ++counter;
    if (samples.size() < 20) samples.push_back(what);
  }
  void write_failed(Clock::time_point sent, const std::string& what) {
    std::lock_guard lock(mutex);
    write_errors.push_back(sent);
    if (samples.size() < 20) samples.push_back(what);
  }
  // One SET + GET round; false when the connection must be replaced.
  bool round(RespConnection& connection, int client, int seq) {
    const std::string key = prefix_ + std::to_string(client) + ":" + std::to_string(seq);
    const std::string value = prefix_ + std::to_string(client) + "-" + std::to_string(seq);
    const auto sent = Clock::now();
    const auto sent_wall = std::chrono::system_clock::now();
    const resp::Value set = connection.command({"SET", key, value});
    if (set.is_error()) {
      write_failed(sent, "SET " + key + ": " + set.str);
      return true;
    }
    if (set.str != "OK") {
      note(mismatches, "SET " + key + " -> " + set.str);
      return true;
    }
    {
      std::lock_guard lock(mutex);
      acks.push_back({key, value, Clock::now(), sent_wall});
    }
    const resp::Value get = connection.command({"GET", key});
    if (get.is_error()) {
      note(read_errors, "GET " + key + ": " + get.str);
    } else if (get.is_null()) {
      note(stale_reads, "GET " + key + " -> null");
    } else if (get.str != value) {
      note(mismatches, "GET " + key + " -> " + get.str);
    }
    return true;
  }
  void run(std::uint16_t port, int client) {
    std::unique_ptr<RespConnection> connection;
    for (int seq = 0; !stopping_ && seq < 10'000'000; ++seq) {
      const auto sent = Clock::now();
      try {
        if (!connection) connection = std::make_unique<RespConnection>(port, timeout_);
        round(*connection, client, seq);
      } catch (const std::exception& error) {
        write_failed(sent, std::string("connection: ") + error.what());
        connection.reset();
      }
    }
  }

  std::string prefix_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

long long ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<Ms>(to - from).count();
}

// The acknowledged writes of `load` missing from the node at `port` (GETs pipelined by 1000), and
// when they were acknowledged: a failure must say which window lost them.
struct LostWrites {
  std::size_t count = 0;
  long long first_ms = 0;  // the earliest and latest acknowledgement lost, from `since`
  long long last_ms = 0;
  std::string keys;  // the first few keys lost, with their acknowledgement times
  // Lost writes whose SET was sent after `held_from` (a log timestamp; empty: none counted).
  std::size_t sent_after_hold = 0;
};

LostWrites count_lost(MixedLoad& load, std::uint16_t port, Clock::time_point since,
                      const std::string& held_from = "") {
  RespConnection node(port);
  LostWrites lost;
  for (std::size_t from = 0; from < load.acks.size(); from += 1000) {
    const std::size_t to = std::min(load.acks.size(), from + 1000);
    for (std::size_t i = from; i < to; ++i) node.send_command({"GET", load.acks[i].key});
    for (std::size_t i = from; i < to; ++i) {
      const resp::Value stored = node.read_value();
      if (stored.str == load.acks[i].value) continue;
      const long long at = ms_between(since, load.acks[i].at);
      lost.first_ms = lost.count == 0 ? at : std::min(lost.first_ms, at);
      lost.last_ms = lost.count == 0 ? at : std::max(lost.last_ms, at);
      const std::string sent = log_time(load.acks[i].sent_wall);
      if (!held_from.empty() && sent > held_from) ++lost.sent_after_hold;
      if (++lost.count <= 10) {
        lost.keys += "\n  " + load.acks[i].key + " acknowledged at " + std::to_string(at) +
                     " ms (SET sent " + sent + "), now " +
                     (stored.is_error()  ? stored.str
                      : stored.is_null() ? "null"
                                         : stored.str);
      }
    }
  }
  return lost;
}

// Each node's replication lines from its own log ("Connecting to MASTER ...", "MASTER MODE
// enabled", full or partial resync): when writes are lost, they say which node followed whom.
std::string replication_story(const std::vector<const RedisServer*>& nodes) {
  std::string story;
  for (const RedisServer* node : nodes) {
    story += "\nnode " + std::to_string(node->port()) + ":";
    std::istringstream lines(node->log());
    for (std::string line; std::getline(lines, line);) {
      for (const char* word : {"MASTER", "REPLICAOF", "resync", "Full", "SLAVE OF"}) {
        if (line.find(word) != std::string::npos) {
          story += "\n  " + line;
          break;
        }
      }
    }
  }
  return story;
}

class SentinelFailoverTest : public TopologyFixture {
 protected:
  void SetUp() override {
    start_nodes(2);  // replicas first: Sentinel learns them from the primary's INFO at once
    sentinel_ = RedisSentinel::start(primary_->port());
    ASSERT_TRUE(sentinel_->wait_for_replicas(2)) << sentinel_->log();
    announcements_ = std::make_unique<RespConnection>(sentinel_->port(), 30s);
    announcements_->command({"SUBSCRIBE", "+switch-master"});
    funnel_ =
        FunnelProcess::start({"--sentinel", backend_arg(sentinel_->port()), "--sentinel-master",
                              sentinel_->master_name(), "--read-policy", "prefer-replica",
                              "--workers", "2", "--health-interval-ms", "100",
                              "--request-timeout-ms", "1000", "--connect-timeout-ms", "500"});
    ASSERT_TRUE(wait_until([&] {
      try {
        RespConnection probe(funnel_->port(), 2s);
        return probe.command({"SET", "sentinel:probe", "1"}).str == "OK";
      } catch (const std::exception&) {
        return false;
      }
    })) << funnel_->log_text();
  }

  // Fails over with `trigger` under load and checks the outcome.
  template <typename Trigger>
  void fail_over_under_load(const char* how, Trigger&& trigger) {
    MixedLoad load(funnel_->port(), 4);
    ASSERT_TRUE(wait_until([&] { return load.ack_count() >= 200; })) << funnel_->log_text();
    const auto failover_at = Clock::now();
    trigger();
    // "+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>"
    const resp::Value message = announcements_->read_value();
    const auto announced_at = Clock::now();
    ASSERT_EQ(message.elems.size(), 3u);
    const std::string text = message.elems[2].str;
    const std::uint16_t new_port =
        static_cast<std::uint16_t>(std::stoi(text.substr(text.rfind(' ') + 1)));
    ASSERT_NE(new_port, primary_->port()) << text;
    const auto settled = announced_at + 2s;
    // Load goes on until 3 s after the announcement (bounded by the waits' deadline).
    EXPECT_TRUE(wait_until([&] { return Clock::now() >= announced_at + 3s; }, 10s));
    load.stop();

    std::lock_guard lock(load.mutex);
    std::string samples;
    for (const auto& sample : load.samples) samples += "\n  " + sample;
    EXPECT_EQ(load.mismatches, 0) << "replies reached the wrong client:" << samples;
    std::size_t late_errors = 0;
    Clock::time_point last_error = failover_at;
    for (const auto& sent : load.write_errors) {
      late_errors += sent > settled;
      last_error = std::max(last_error, sent);
    }
    std::size_t acked_after_settled = 0;
    for (const Ack& ack : load.acks) acked_after_settled += ack.at > settled;
    EXPECT_EQ(late_errors, 0u) << "writes failed more than 2 s after +switch-master:" << samples
                               << "\nfunnel log:\n"
                               << funnel_->log_text();
    EXPECT_GT(acked_after_settled, 0u) << "no write succeeded after the failover";

    // Acknowledged writes missing from the primary Sentinel names now, and when they were
    // acknowledged. Under ASan load Sentinel may fail over a second time (the new primary missed
    // down-after-milliseconds): then writes the first new primary took after the second
    // promotion are lost the way Sentinel loses them, and the check is against the final one.
    const std::uint16_t final_port = sentinel_->master_port();
    const bool failed_over_again = final_port != new_port;
    if (failed_over_again) {
      std::printf("Sentinel failed over again: %u -> %u\n", new_port, final_port);
    }
    RespConnection new_primary(final_port);
    std::vector<std::string> stored;
    for (std::size_t from = 0; from < load.acks.size(); from += 1000) {
      const std::size_t to = std::min(load.acks.size(), from + 1000);
      for (std::size_t i = from; i < to; ++i) new_primary.send_command({"GET", load.acks[i].key});
      for (std::size_t i = from; i < to; ++i) stored.push_back(new_primary.read_value().str);
    }
    std::size_t lost = 0;
    std::size_t lost_after_switch = 0;
    long long first_lost = 0;
    long long last_lost = 0;
    for (std::size_t i = 0; i < load.acks.size(); ++i) {
      const Ack& ack = load.acks[i];
      if (stored[i] == ack.value) continue;
      const long long at = ms_between(failover_at, ack.at);
      first_lost = lost == 0 ? at : std::min(first_lost, at);
      last_lost = lost == 0 ? at : std::max(last_lost, at);
      ++lost;
      lost_after_switch += ack.at > settled;
    }
    if (!failed_over_again) {
      EXPECT_EQ(lost_after_switch, 0u) << "writes acknowledged after Funnel switched were lost";
    }
    const std::string last_error_text =
        load.write_errors.empty() ? std::string("no write failed")
                                  : "the last failed write was sent " +
                                        std::to_string(ms_between(announced_at, last_error)) +
                                        " ms after +switch-master (negative: before it)";
    std::printf(
        "%s: +switch-master %lld ms after the trigger; %s; %zu writes acknowledged, %zu of them "
        "lost from the new primary (acknowledged %lld..%lld ms after the trigger); %zu write "
        "errors, %lld read errors, %lld reads of a just-acknowledged key gave null\n",
        how, ms_between(failover_at, announced_at), last_error_text.c_str(), load.acks.size(), lost,
        first_lost, last_lost, load.write_errors.size(), static_cast<long long>(load.read_errors),
        static_cast<long long>(load.stale_reads));
  }

  // A Funnel on the same sentinel with the failover hold set to `hold_ms` and a 5 s request
  // timeout (the figures).
  std::unique_ptr<FunnelProcess> start_funnel(const std::string& hold_ms) {
    auto funnel = FunnelProcess::start(
        {"--sentinel", backend_arg(sentinel_->port()), "--sentinel-master",
         sentinel_->master_name(), "--read-policy", "prefer-replica", "--workers", "2",
         "--health-interval-ms", "100", "--request-timeout-ms", "5000", "--connect-timeout-ms",
         "500", "--failover-hold-ms", hold_ms});
    EXPECT_TRUE(wait_until([&] {
      try {
        RespConnection probe(funnel->port(), 2s);
        return probe.command({"SET", "sentinel:probe", "1"}).str == "OK";
      } catch (const std::exception&) {
        return false;
      }
    })) << funnel->log_text();
    return funnel;
  }
  // Waits for +switch-master; returns the new primary's port (0 on a malformed message).
  std::uint16_t await_switch() {
    const resp::Value message = announcements_->read_value();
    if (message.elems.size() != 3) return 0;
    const std::string text = message.elems[2].str;
    return static_cast<std::uint16_t>(std::stoi(text.substr(text.rfind(' ') + 1)));
  }

  std::vector<const RedisServer*> nodes() const {
    std::vector<const RedisServer*> all{primary_.get()};
    for (const auto& replica : replicas_) all.push_back(replica.get());
    return all;
  }

  std::unique_ptr<RedisSentinel> sentinel_;
  std::unique_ptr<RespConnection> announcements_;
};

TEST_F(SentinelFailoverTest, SentinelFailoverCommandUnderMixedLoad) {
  fail_over_under_load("SENTINEL FAILOVER", [&] { sentinel_->failover(); });
}

TEST_F(SentinelFailoverTest, PrimaryKilledUnderMixedLoad) {
  fail_over_under_load("primary SIGKILL", [&] { kill_hard(*primary_); });
}

// The hold makes a planned failover lose no write sent after it is announced: writes stop
// reaching the old primary at +try-failover, so every write Funnel sends after that lands on the
// node that becomes primary. Before the hold (docs/topology.md's Measured table) this run lost
// thousands: those the old primary took between the promotion and its demotion. Writes the old
// primary acknowledged before the announcement are lost only if the promoted replica had not
// received them (Sentinel does not wait for it); the test prints them with each node's
// replication log when it happens (one CI run in about five lost 271, cause not yet known).
TEST_F(SentinelFailoverTest, PlannedFailoverWithTheHoldLosesNoWriteSentAfterTheAnnouncement) {
  auto funnel = start_funnel("5000");
  MixedLoad load(funnel->port(), 4, "h", 10s);
  ASSERT_TRUE(wait_until([&] { return load.ack_count() >= 200; })) << funnel->log_text();
  const auto triggered = Clock::now();
  sentinel_->failover();
  const std::uint16_t new_port = await_switch();
  const auto announced = Clock::now();
  ASSERT_NE(new_port, 0);
  ASSERT_NE(new_port, primary_->port());
  EXPECT_TRUE(wait_until([&] { return Clock::now() >= announced + 3s; }, 10s));
  load.stop();
  std::lock_guard lock(load.mutex);
  std::string samples;
  for (const auto& sample : load.samples) samples += "\n  " + sample;
  EXPECT_EQ(load.mismatches, 0) << samples;
  const std::uint16_t final_port = sentinel_->master_port();
  // When Funnel began holding: its log line's timestamp. Every SET sent after it was held until
  // the new primary confirmed itself, so none may be lost. Writes acknowledged before it may be,
  // when the replica Sentinel promotes had not received them yet: Sentinel does not wait for it
  // to catch up, and no proxy can undo a write the old primary already acknowledged.
  const std::string log = funnel->log_text();
  const std::size_t hold_line = log.find(" is failing over (Sentinel): holding");
  ASSERT_NE(hold_line, std::string::npos) << "Funnel never held:\n" << log;
  const std::size_t line_start =
      log.rfind('\n', hold_line) == std::string::npos ? 0 : log.rfind('\n', hold_line) + 1;
  const std::string held_from = log.substr(line_start, 23);
  const LostWrites lost = count_lost(load, final_port, triggered, held_from);
  std::printf(
      "[ MEASURED ] SENTINEL FAILOVER with failover_hold_ms 5000: +switch-master %lld ms after "
      "the trigger; %zu writes acknowledged, %zu lost (acknowledged %lld..%lld ms after the "
      "trigger), %zu of them sent after Funnel began holding at %s; %zu write errors\n",
      ms_between(triggered, announced), load.acks.size(), lost.count, lost.first_ms, lost.last_ms,
      lost.sent_after_hold, held_from.c_str(), load.write_errors.size());
  if (lost.count != 0) {
    std::printf("lost before the hold:%s\nreplication:%s\n", lost.keys.c_str(),
                replication_story(nodes()).c_str());
  }
  if (final_port != new_port) GTEST_SKIP() << "Sentinel failed over twice (ASan load)";
  EXPECT_EQ(lost.sent_after_hold, 0u)
      << "writes sent after Funnel began holding were lost:" << lost.keys
      << "\nfirst errors and stale reads:" << samples
      << "\nreplication:" << replication_story(nodes()) << "\nfunnel log:\n"
      << log;
}

// A killed primary: the same kill seen by two Funnels, one failing fast (hold 0, as before) and
// one holding (the default). The holding one fails fewer writes, and loses none it acknowledged
// after the switch.
TEST_F(SentinelFailoverTest, PrimaryKilledWithTheHoldFailsFewerWrites) {
  auto fail_fast = start_funnel("0");
  auto holding = start_funnel("5000");
  MixedLoad fast_load(fail_fast->port(), 4, "f", 10s);
  MixedLoad held_load(holding->port(), 4, "h", 10s);
  ASSERT_TRUE(
      wait_until([&] { return fast_load.ack_count() >= 200 && held_load.ack_count() >= 200; }));
  const auto killed = Clock::now();
  kill_hard(*primary_);
  const std::uint16_t new_port = await_switch();
  const auto announced = Clock::now();
  ASSERT_NE(new_port, 0);
  EXPECT_TRUE(wait_until([&] { return Clock::now() >= announced + 3s; }, 10s));
  fast_load.stop();
  held_load.stop();
  std::lock_guard fast_lock(fast_load.mutex);
  std::lock_guard held_lock(held_load.mutex);
  std::string samples;
  for (const auto& sample : held_load.samples) samples += "\n  " + sample;
  EXPECT_EQ(fast_load.mismatches, 0);
  EXPECT_EQ(held_load.mismatches, 0) << samples;
  const std::uint16_t final_port = sentinel_->master_port();
  std::size_t held_lost_after = 0;
  {
    RespConnection node(final_port);
    for (const Ack& ack : held_load.acks) {
      if (ack.at <= announced + 2s) continue;
      held_lost_after += node.command({"GET", ack.key}).str != ack.value;
    }
  }
  std::printf(
      "[ MEASURED ] primary SIGKILL: +switch-master %lld ms after the kill; failover_hold_ms 0: "
      "%zu write errors, %zu acknowledged; failover_hold_ms 5000: %zu write errors, %zu "
      "acknowledged\n",
      ms_between(killed, announced), fast_load.write_errors.size(), fast_load.acks.size(),
      held_load.write_errors.size(), held_load.acks.size());
  EXPECT_LT(held_load.write_errors.size(), fast_load.write_errors.size())
      << samples << "\nholding funnel log:\n"
      << holding->log_text();
  EXPECT_EQ(held_lost_after, 0u);
}

// Clients on pinned links when the primary fails over (issue #17 items 2 and 3 for pinned
// clients): a write on a WATCH's link waits for the new primary and goes there, the link to the
// old primary is retired (its WATCH is lost: EXEC answers nil, nothing runs), and a subscription
// follows. Before: the pinned link to the old, demoted primary was kept, so the write got
// READONLY and the transaction EXECABORT.
TEST_F(SentinelFailoverTest, PinnedClientsFollowTheFailover) {
  auto funnel = start_funnel("5000");
  RespConnection watcher(funnel->port(), 10s);
  RespConnection writer(funnel->port(), 10s);
  RespConnection subscriber(funnel->port(), 10s);
  ASSERT_EQ(watcher.command({"WATCH", "pin:k"}).str, "OK");
  ASSERT_EQ(writer.command({"WATCH", "pin:other"}).str, "OK");  // its requests go on its pin
  ASSERT_EQ(subscriber.command({"SUBSCRIBE", "pin:events"}).elems.size(), 3u);
  sentinel_->failover();
  const std::uint16_t new_port = await_switch();
  const auto announced = Clock::now();
  ASSERT_NE(new_port, 0);
  const resp::Value set = writer.command({"SET", "pin:w", "after"});
  const auto answered = Clock::now();
  EXPECT_EQ(set.str, "OK") << "a pinned write after the failover: " << set.str << "\n"
                           << funnel->log_text();
  watcher.send_command({"MULTI"});
  watcher.send_command({"SET", "pin:k", "v"});
  watcher.send_command({"EXEC"});
  EXPECT_EQ(watcher.read_value().str, "OK");
  EXPECT_EQ(watcher.read_value().str, "QUEUED");
  const resp::Value exec = watcher.read_value();
  EXPECT_TRUE(exec.is_null()) << "EXEC after the WATCH's link was retired: " << exec.str;
  const std::uint16_t final_port = sentinel_->master_port();
  RespConnection primary(final_port);
  EXPECT_EQ(primary.command({"GET", "pin:w"}).str, "after");
  EXPECT_TRUE(primary.command({"GET", "pin:k"}).is_null()) << "the lost WATCH's EXEC ran";
  RespConnection publisher(funnel->port());
  bool delivered = false;
  subscriber.set_timeout(200ms);
  for (int i = 0; i < 50 && !delivered; ++i) {
    publisher.command({"PUBLISH", "pin:events", "moved"});
    try {
      const resp::Value message = subscriber.read_value();
      delivered = message.elems.size() == 3 && message.elems[2].str == "moved";
    } catch (const std::exception&) {
    }
  }
  EXPECT_TRUE(delivered) << "the subscription did not follow the new primary";
  std::printf(
      "[ MEASURED ] a pinned client's write sent at +switch-master answered %lld ms later (held "
      "until ROLE confirmed the new primary)\n",
      ms_between(announced, answered));
}

}  // namespace
}  // namespace funnel::test
