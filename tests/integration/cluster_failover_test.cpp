// A cluster shard's primary failing over under load through Funnel (issue #16 item 8,
// docs/cluster.md#failover): the 3+3 cluster (cluster-node-timeout 2000), Funnel with
// request_timeout_ms and failover_hold_ms 5000, and 20 clients counting SET/GET rounds with value
// checks on keys of every shard.
// - The primary killed (SIGKILL): requests for its shard wait inside Funnel for the promotion;
//   the only errors allowed are those of requests in flight on the dead node (written: "lost
//   before the reply"; handed to its link, unwritten: "not run"), at most one per client, and
//   held requests whose hold ran out, only if the promotion took longer than the hold (the
//   clear error, never a hang); service to the shard resumes within 2 s of the promotion seen by
//   CLUSTER NODES.
//   Acknowledged writes lost (not yet replicated when the primary died, as with Redis itself)
//   are counted and printed.
//   With the clients also sending cross-slot MSET/MGET and DBSIZE (split by slot and fanned out
//   to every primary), those wait for the promotion too, whole: the same errors only.
// - CLUSTER FAILOVER on a replica (planned): no error, no wrong value, no write lost.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "routing/key_slot.hpp"
#include "support/redis_cluster.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

constexpr int kClients = 20;
constexpr int kKeysPerClient = 6;
constexpr std::string_view kInFlightLoss = "lost before the reply";
// A request already handed to the dead node's link, not yet written, when it died: it fails at
// the link's first refused reconnect, not run (backend/backend_link.cpp fail_unsent).
constexpr std::string_view kNotRun = "the command was not run";
// A request held for the shard past its hold (routing::kShardFailoverTimedOut).
constexpr std::string_view kHoldRanOut = "no replica was promoted within";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

// True once `port` says, in its own CLUSTER NODES line, that it is a primary.
bool says_primary(std::uint16_t port) {
  try {
    RespConnection conn(port, 1s);
    const std::string nodes(conn.command({"CLUSTER", "NODES"}).as_string().value_or(""));
    const std::size_t at = nodes.find("myself,");
    return at != std::string::npos && nodes.compare(at + 7, 6, "master") == 0;
  } catch (const std::exception&) {
    return false;
  }
}

std::uint16_t master_port_of(std::uint16_t replica) {
  RespConnection conn(replica);
  const std::string info(conn.command({"INFO", "replication"}).as_string().value_or(""));
  const std::size_t at = info.find("master_port:");
  return at == std::string::npos ? 0 : static_cast<std::uint16_t>(std::stoi(info.substr(at + 12)));
}

// 20 clients, each with keys on every shard: SET a new value, GET it back, count the round.
// Rounds on the `watched` primary's keys that succeed after `promoted_at` are timed. With
// `cross_slot`, every third round also sets all 6 of the client's keys with one MSET, reads them
// back with one MGET (both split by slot) and asks DBSIZE (every primary).
class CountingLoad {
 public:
  CountingLoad(std::uint16_t funnel_port, RedisCluster& cluster, std::uint16_t watched,
               bool cross_slot = false)
      : port_(funnel_port), cross_slot_(cross_slot) {
    for (int c = 0; c < kClients; ++c) {
      for (int k = 0; k < kKeysPerClient; ++k) {
        const std::string key = "cf:" + std::to_string(c) + ":" + std::to_string(k);
        watched_[key] = cluster.primary_port_for_slot(routing::key_slot(key)) == watched;
      }
    }
    acked_.resize(kClients);
    in_flight_.resize(kClients);
    for (int c = 0; c < kClients; ++c) threads_.emplace_back([this, c] { run(c); });
  }
  ~CountingLoad() { stop(); }
  void stop() {
    stopping_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  std::int64_t ok() const { return ok_.load(); }
  std::int64_t cross_slot_ok() const { return cross_ok_.load(); }
  std::int64_t watched_ok() const { return watched_ok_.load(); }
  void promoted(std::int64_t at) { promoted_at_ = at; }
  std::int64_t first_success_after_promotion() const { return first_after_.load(); }
  std::int64_t in_flight_losses() const { return losses_.load(); }
  std::int64_t unsent_losses() const { return unsent_.load(); }
  std::int64_t holds_ran_out() const { return ran_out_.load(); }
  // The node that died ("127.0.0.1:PORT"): its "not run" errors count as in flight at its death.
  void died(std::uint16_t port) {
    std::lock_guard lock(mutex_);
    dead_ = "127.0.0.1:" + std::to_string(port);
  }
  // Each client has one request outstanding at a time: at most one can be in flight at the kill.
  int most_in_flight_failures_of_one_client() const {
    int most = 0;
    for (const int n : in_flight_) most = std::max(most, n);
    return most;
  }
  std::int64_t other_errors() const { return errors_.load(); }
  std::int64_t wrong() const { return wrong_.load(); }
  std::int64_t unreplicated_reads() const { return unreplicated_; }
  std::string first_error() {
    std::lock_guard lock(mutex_);
    return first_error_;
  }
  // Acknowledged writes whose value is not on the key's owner now (read directly).
  std::int64_t lost_writes(RedisCluster& cluster) const {
    std::int64_t lost = 0;
    for (const auto& acked : acked_) {
      for (const auto& [key, value] : acked) {
        RespConnection owner(cluster.primary_port_for_slot(routing::key_slot(key)));
        if (owner.command({"GET", key}).str != value) ++lost;
      }
    }
    return lost;
  }

 private:
  void run(int client) {
    const auto until = Clock::now() + 60s;
    try {
      RespConnection conn(port_, 10s);  // a hang inside Funnel fails the read, never the test
      for (int n = 0; !stopping_ && Clock::now() < until; ++n) {
        step(conn, client, n);
      }
    } catch (const std::exception& e) {
      error(client, e.what());
    }
  }
  void step(RespConnection& conn, int client, int n) {
    const std::string key = "cf:" + std::to_string(client) + ":" + std::to_string(n % 6);
    const std::string value = std::to_string(client) + "." + std::to_string(n);
    const resp::Value set = conn.command({"SET", key, value});
    if (set.is_error()) return error(client, "SET " + key + ": " + set.str);
    acked_[client][key] = value;
    const resp::Value get = conn.command({"GET", key});
    if (get.is_error()) return error(client, "GET " + key + ": " + get.str);
    if (get.str != value && unreplicated(client, key, get, n)) return;
    if (get.str != value) {
      ++wrong_;
      return error(client, "GET " + key + " gave " + get.str + ", wanted " + value);
    }
    ++ok_;
    if (cross_slot_ && n % 3 == 0 && !cross_slot_round(conn, client, n)) return;
    if (!watched_.at(key)) return;
    ++watched_ok_;
    const std::int64_t promoted = promoted_at_.load();
    std::int64_t none = 0;
    if (promoted != 0) first_after_.compare_exchange_strong(none, now_ms());
  }
  // MSET of the client's 6 keys (they span the shards), MGET of them, DBSIZE; false on an error.
  bool cross_slot_round(RespConnection& conn, int client, int n) {
    std::vector<std::string> mset = {"MSET"};
    std::vector<std::string> mget = {"MGET"};
    for (int k = 0; k < kKeysPerClient; ++k) {
      const std::string key = "cf:" + std::to_string(client) + ":" + std::to_string(k);
      mset.insert(mset.end(), {key, std::to_string(client) + "." + std::to_string(n) + "m"});
      mget.push_back(key);
    }
    const resp::Value set = conn.command(mset);
    if (set.is_error()) return fail(client, "MSET: " + set.str);
    for (std::size_t i = 1; i < mset.size(); i += 2) acked_[client][mset[i]] = mset[i + 1];
    const resp::Value get = conn.command(mget);
    if (get.is_error()) return fail(client, "MGET: " + get.str);
    for (std::size_t i = 0; i < get.elems.size() && i + 1 < mget.size(); ++i) {
      if (get.elems[i].str == mset[2 * i + 2]) continue;
      if (unreplicated(client, mget[i + 1], get.elems[i], n)) return false;
      ++wrong_;
      return fail(client, "MGET " + mget[i + 1] + " gave " + get.elems[i].str);
    }
    const resp::Value size = conn.command({"DBSIZE"});
    if (size.is_error()) return fail(client, "DBSIZE: " + size.str);
    ++cross_ok_;
    return true;
  }
  // A write the dead primary acknowledged just before the kill, not yet replicated, is lost with
  // it (as with Redis itself): the promoted replica then answers this client's older value of the
  // key (or nil). Counted apart from wrong values: only on the dead shard, after the kill.
  bool unreplicated(int client, const std::string& key, const resp::Value& got, int n) {
    std::lock_guard lock(mutex_);
    if (dead_.empty() || !watched_.at(key)) return false;
    const std::string own = std::to_string(client) + ".";
    if (!got.is_null()) {
      if (!got.str.starts_with(own)) return false;
      const int earlier = std::atoi(got.str.c_str() + own.size());
      if (earlier >= n) return false;
    }
    ++unreplicated_;
    return true;
  }
  bool fail(int client, const std::string& what) {
    error(client, what);
    return false;
  }
  void error(int client, const std::string& what) {
    std::lock_guard lock(mutex_);
    if (what.find(kInFlightLoss) != std::string::npos) {
      ++losses_;
      ++in_flight_[client];
      return;
    }
    if (!dead_.empty() && what.find(dead_) != std::string::npos &&
        what.find(kNotRun) != std::string::npos) {
      ++unsent_;
      ++in_flight_[client];
      if (in_flight_[client] > 1 && first_error_.empty()) first_error_ = what;
      return;
    }
    if (what.find(kHoldRanOut) != std::string::npos) {
      ++ran_out_;
      return;
    }
    ++errors_;
    if (first_error_.empty()) first_error_ = what;
  }

  std::uint16_t port_;
  bool cross_slot_ = false;
  std::map<std::string, bool> watched_;                    // read-only once the threads run
  std::vector<std::map<std::string, std::string>> acked_;  // [client]: its own thread's
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> ok_{0}, cross_ok_{0}, watched_ok_{0}, losses_{0}, unsent_{0},
      ran_out_{0}, errors_{0}, wrong_{0};
  std::atomic<std::int64_t> promoted_at_{0}, first_after_{0};
  std::mutex mutex_;
  std::string first_error_;
  std::string dead_;               // under mutex_
  std::int64_t unreplicated_ = 0;  // under mutex_
  std::vector<int> in_flight_;     // [client]: under mutex_
};

// True once `port`'s CLUSTER SLOTS lists a replica for every slot range. Just after the cluster
// is made, a node may not list its peers' replicas yet: a Funnel seeded from it then sees shards
// that cannot fail over, and holds nothing until a later map lists them.
bool lists_every_replica(std::uint16_t port) {
  try {
    RespConnection conn(port, 1s);
    const resp::Value slots = conn.command({"CLUSTER", "SLOTS"});
    if (slots.elems.empty()) return false;
    return std::all_of(slots.elems.begin(), slots.elems.end(),
                       [](const resp::Value& range) { return range.elems.size() >= 4; });
  } catch (const std::exception&) {
    return false;
  }
}

class ClusterFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = RedisCluster::start();
    ASSERT_TRUE(wait_until([&] { return lists_every_replica(cluster_->port(0)); }, 20s));
    TempDir& dir = dir_;
    funnel_ = FunnelProcess::start(
        {"--cluster", "127.0.0.1:" + std::to_string(cluster_->port(0)), "--workers", "2",
         "--config",
         dir.write("funnel.toml",
                   "[backend]\nrequest_timeout_ms = 5000\nfailover_hold_ms = 5000\n")});
  }
  // A primary other than node 0 (the fixture asks node 0 for the slot owners) and its replica.
  void pick_shard(std::uint16_t& primary, std::uint16_t& replica) {
    for (std::uint16_t port : cluster_->primary_ports()) {
      if (port != cluster_->port(0)) primary = port;
    }
    for (std::uint16_t port : cluster_->replica_ports()) {
      if (master_port_of(port) == primary) replica = port;
    }
  }
  TempDir dir_{"funnel-cluster-failover"};
  std::unique_ptr<RedisCluster> cluster_;
  std::unique_ptr<FunnelProcess> funnel_;
};

TEST_F(ClusterFailoverTest, AKilledPrimarysRequestsWaitForThePromotionAndResumeWithin2s) {
  std::uint16_t primary = 0, replica = 0;
  pick_shard(primary, replica);
  ASSERT_NE(replica, 0) << "no replica of " << primary;
  CountingLoad load(funnel_->port(), *cluster_, primary, /*cross_slot=*/true);
  ASSERT_TRUE(wait_until([&] { return load.watched_ok() >= 100; }, 20s));
  load.died(primary);
  const std::int64_t killed_at = now_ms();
  for (std::size_t i = 0; i < cluster_->size(); ++i) {
    if (cluster_->port(i) == primary) kill_hard(cluster_->node(i));
  }
  ASSERT_TRUE(wait_until([&] { return says_primary(replica); }, 20s)) << "no promotion";
  const std::int64_t promoted_at = now_ms();
  load.promoted(promoted_at);
  const std::int64_t ok_at_promotion = load.watched_ok();
  EXPECT_TRUE(wait_until([&] { return load.first_success_after_promotion() != 0; }, 5s));
  const std::int64_t cross_at_promotion = load.cross_slot_ok();
  ASSERT_TRUE(wait_until([&] { return load.watched_ok() >= ok_at_promotion + 100; }, 10s))
      << "the shard's service did not resume";
  EXPECT_TRUE(wait_until([&] { return load.cross_slot_ok() >= cross_at_promotion + 20; }, 10s))
      << "cross-slot rounds did not resume";
  load.stop();
  ASSERT_TRUE(cluster_->wait_converged());
  const std::int64_t resumed_ms = load.first_success_after_promotion() - promoted_at;
  const std::int64_t lost = load.lost_writes(*cluster_);
  std::printf(
      "primary killed: promoted %lld ms after the kill; first success on its shard %lld ms "
      "after the promotion; requests in flight on the dead node that failed: %lld written "
      "(outcome unknown), %lld queued unsent (not run); %lld holds ran out; %lld other errors, "
      "%lld wrong values; "
      "%lld acknowledged writes lost (not yet replicated; %lld read back older); %lld rounds ok "
      "(%lld with MSET/MGET/DBSIZE)\n",
      static_cast<long long>(promoted_at - killed_at), static_cast<long long>(resumed_ms),
      static_cast<long long>(load.in_flight_losses()), static_cast<long long>(load.unsent_losses()),
      static_cast<long long>(load.holds_ran_out()), static_cast<long long>(load.other_errors()),
      static_cast<long long>(load.wrong()), static_cast<long long>(lost),
      static_cast<long long>(load.unreplicated_reads()), static_cast<long long>(load.ok()),
      static_cast<long long>(load.cross_slot_ok()));
  EXPECT_LE(load.unreplicated_reads(), kClients);  // at most the write in flight at the kill
  EXPECT_EQ(load.other_errors(), 0) << load.first_error();
  EXPECT_EQ(load.wrong(), 0) << load.first_error();
  EXPECT_LE(load.most_in_flight_failures_of_one_client(), 1) << load.first_error();
  // Held from the drop, a request's hold (5000 ms) outlasts a promotion this quick.
  if (promoted_at - killed_at < 4500) {
    EXPECT_EQ(load.holds_ran_out(), 0);
  }
  EXPECT_LE(load.holds_ran_out(), kClients);  // each client's next request waits afresh
  EXPECT_LE(resumed_ms, 2000);
  if (::testing::Test::HasFailure())
    std::printf("funnel's log:\n%s\n", funnel_->log_text().c_str());
}

TEST_F(ClusterFailoverTest, APlannedFailoverCostsNoErrorAndNoWrite) {
  std::uint16_t primary = 0, replica = 0;
  pick_shard(primary, replica);
  ASSERT_NE(replica, 0) << "no replica of " << primary;
  CountingLoad load(funnel_->port(), *cluster_, primary);
  ASSERT_TRUE(wait_until([&] { return load.watched_ok() >= 100; }, 20s));
  // Redis drops a manual failover not done in 5 s (CLUSTER_MF_TIMEOUT): ask again, as an
  // operator would (cluster_test.cpp's coordinated failover does the same).
  RespConnection promote(replica);
  bool promoted = false;
  for (int attempt = 0; attempt < 4 && !promoted; ++attempt) {
    if (!says_primary(replica)) {
      ASSERT_EQ(promote.command({"CLUSTER", "FAILOVER"}).str, "OK");
    }
    promoted = wait_until([&] { return says_primary(replica); }, 7s);
  }
  ASSERT_TRUE(promoted) << "the replica " << replica << " was not promoted in 4 attempts";
  const std::int64_t promoted_at = now_ms();
  load.promoted(promoted_at);
  const std::int64_t ok_at_promotion = load.watched_ok();
  ASSERT_TRUE(wait_until([&] { return load.watched_ok() >= ok_at_promotion + 100; }, 10s))
      << "the shard's service did not go on";
  load.stop();
  ASSERT_TRUE(cluster_->wait_converged());
  const std::int64_t lost = load.lost_writes(*cluster_);
  std::printf(
      "planned failover: first success on the shard %lld ms after the promotion; %lld errors, "
      "%lld wrong values, %lld acknowledged writes lost; %lld rounds ok\n",
      static_cast<long long>(load.first_success_after_promotion() - promoted_at),
      static_cast<long long>(load.in_flight_losses() + load.other_errors()),
      static_cast<long long>(load.wrong()), static_cast<long long>(lost),
      static_cast<long long>(load.ok()));
  EXPECT_EQ(load.in_flight_losses() + load.other_errors(), 0) << load.first_error();
  EXPECT_EQ(load.wrong(), 0);
  EXPECT_EQ(lost, 0);
}

}  // namespace
}  // namespace funnel::test
