// Resharding under load through Funnel (issue #16 item 8): `redis-cli --cluster reshard` moves
// 1,000 slots from one primary to another (MIGRATING/IMPORTING, MIGRATE of each key, SETSLOT
// NODE: clients meet ASK, TRYAGAIN and MOVED) while clients run writes, reads, MULTI blocks and
// scripts with value checks through Funnel. Expected: no client error, no wrong value, and every
// acknowledged write present afterwards on the key's owner, read directly. Bounded: the load stops
// 2 s after the reshard, or at 60 s.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "routing/key_slot.hpp"
#include "support/child_process.hpp"
#include "support/net.hpp"
#include "support/redis_cluster.hpp"
#include "support/temp_dir.hpp"

namespace funnel::test {
namespace {

constexpr int kKeysPerClient = 20;

// One client's loop: SET a key to a new value, GET it back, and now and then MGET two of its keys
// (in different slots: a cross-slot split), a MULTI block or a script that writes a key and reads
// it back. Every acknowledged value is remembered per key.
class MixedClient {
 public:
  MixedClient(std::uint16_t port, int id, const std::vector<std::string>& tags)
      : port_(port), id_(id), tags_(tags) {}
  std::string key(int k) const { return "rs:" + std::to_string(id_) + ":" + std::to_string(k); }
  // The keys of blocks and scripts: every client's k-th one in the same slot, one of those the
  // reshard moves, so that each such slot holds many keys and is met half migrated (ASK).
  std::string hot(int k) const {
    return "{" + tags_[k % tags_.size()] + "}rs:" + std::to_string(id_) + ":" + std::to_string(k);
  }
  void run(const std::atomic<bool>& stop, Clock::time_point until) {
    try {
      RespConnection conn(port_, 10s);
      for (int n = 0; !stop && Clock::now() < until; ++n) step(conn, n);
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }
  std::map<std::string, std::string> acked;  // key -> last acknowledged value
  std::atomic<std::int64_t> ok{0};           // read by the test thread while the client runs
  std::int64_t errors = 0;
  std::int64_t wrong = 0;
  std::string first_failure;

 private:
  void step(RespConnection& conn, int n) {
    const int k = n % kKeysPerClient;
    const std::string value = std::to_string(id_) + "." + std::to_string(n);
    const resp::Value set = conn.command({"SET", key(k), value});
    if (set.str != "OK") return fail("SET " + key(k) + ": " + set.str);
    acked[key(k)] = value;
    const resp::Value get = conn.command({"GET", key(k)});
    if (get.is_error()) return fail("GET " + key(k) + ": " + get.str);
    if (get.str != value) {
      ++wrong;
      return fail("GET " + key(k) + " gave " + get.str + ", wanted " + value);
    }
    if (n % 5 == 1) return block(conn, hot(k), value + "m");
    if (n % 5 == 2) return script(conn, hot(k), value + "e");
    if (n % 5 == 4) {
      const int j = (k + 7) % kKeysPerClient;
      const resp::Value both = conn.command({"MGET", key(k), key(j)});
      if (both.is_error() || both.elems.size() != 2) return fail("MGET: " + both.str);
      if (both.elems[0].str != value) ++wrong;
      if (acked.count(key(j)) && both.elems[1].str != acked[key(j)]) ++wrong;
    }
    ++ok;
  }
  // A MULTI block that writes the key and reads it back: a single Redis answers [OK, value].
  void block(RespConnection& conn, const std::string& key, const std::string& value) {
    const resp::Value multi = conn.command({"MULTI"});
    const resp::Value set = conn.command({"SET", key, value});
    const resp::Value get = conn.command({"GET", key});
    const resp::Value exec = conn.command({"EXEC"});
    if (multi.str != "OK" || set.str != "QUEUED" || get.str != "QUEUED") {
      return fail("MULTI " + key + ": " + multi.str + " " + set.str + " " + get.str);
    }
    if (exec.is_error() || exec.elems.size() != 2) return fail("EXEC " + key + ": " + exec.str);
    acked[key] = value;
    if (exec.elems[0].str != "OK" || exec.elems[1].str != value) {
      ++wrong;
      return fail("EXEC " + key + " gave " + exec.elems[1].str + ", wanted " + value);
    }
    ++ok;
  }
  // A script that writes the key and returns what it reads back.
  void script(RespConnection& conn, const std::string& key, const std::string& value) {
    const resp::Value ran = conn.command(
        {"EVAL", "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])", "1", key,
         value});
    if (ran.is_error()) return fail("EVAL " + key + ": " + ran.str);
    acked[key] = value;
    if (ran.str != value) {
      ++wrong;
      return fail("EVAL " + key + " gave " + ran.str + ", wanted " + value);
    }
    ++ok;
  }
  void fail(const std::string& what) {
    ++errors;
    if (first_failure.empty()) first_failure = what;
  }
  std::uint16_t port_;
  int id_;
  const std::vector<std::string>& tags_;
};

// Hashtags of kKeysPerClient slots among the 1,000 the reshard moves (redis-cli moves the
// source's lowest slots), spread over them so that the load meets migrations from start to end.
std::vector<std::string> tags_of_moving_slots(const RedisCluster& cluster, std::uint16_t source) {
  std::vector<std::uint16_t> owned;
  for (std::uint16_t slot = 0; slot < 16384 && owned.size() < 1000; ++slot) {
    if (cluster.primary_port_for_slot(slot) == source) owned.push_back(slot);
  }
  std::map<std::uint16_t, std::string> wanted;
  for (int k = 0; k < kKeysPerClient; ++k) wanted[owned[k * owned.size() / kKeysPerClient]];
  std::size_t found = 0;
  for (int i = 0; found < wanted.size() && i < 10'000'000; ++i) {
    const std::string tag = "h" + std::to_string(i);
    auto it = wanted.find(routing::key_slot(tag));
    if (it != wanted.end() && it->second.empty()) {
      it->second = tag;
      ++found;
    }
  }
  std::vector<std::string> tags;
  for (const auto& [slot, tag] : wanted) tags.push_back(tag);
  return tags;
}

std::string node_id(std::uint16_t port) {
  RespConnection conn(port);
  return std::string(conn.command({"CLUSTER", "MYID"}).as_string().value_or(""));
}

TEST(ClusterReshard, AThousandSlotsMoveUnderLoadWithoutAClientErrorOrALostWrite) {
  auto cluster = RedisCluster::start(3, 0);
  auto funnel = FunnelProcess::start(
      {"--cluster", "127.0.0.1:" + std::to_string(cluster->port(0)), "--workers", "2"});
  const int clients = reduced_scale() ? 50 : 200;
  const std::vector<std::uint16_t> primaries = cluster->primary_ports();
  ASSERT_EQ(primaries.size(), 3u);
  const std::vector<std::string> tags = tags_of_moving_slots(*cluster, primaries[0]);
  std::vector<std::unique_ptr<MixedClient>> loads;
  for (int c = 0; c < clients; ++c)
    loads.push_back(std::make_unique<MixedClient>(funnel->port(), c, tags));
  std::atomic<bool> stop{false};
  const auto until = Clock::now() + 60s;
  std::vector<std::thread> threads;
  for (auto& load : loads) {
    threads.emplace_back([&stop, until, load = load.get()] { load->run(stop, until); });
  }
  const auto total_ok = [&] {
    std::int64_t sum = 0;
    for (auto& load : loads) sum += load->ok.load();
    return sum;
  };
  EXPECT_TRUE(wait_until([&] { return total_ok() >= clients * 5; }, 20s));
  TempDir dir("funnel-reshard");
  const std::string log = dir.file("reshard.log");
  {
    ChildProcess reshard(
        {"redis-cli", "--cluster", "reshard", "127.0.0.1:" + std::to_string(primaries[0]),
         "--cluster-from", node_id(primaries[0]), "--cluster-to", node_id(primaries[1]),
         "--cluster-slots", "1000", "--cluster-yes"},
        log);
    EXPECT_TRUE(wait_until([&] { return !reshard.alive(); }, 45s)) << "reshard still running";
    EXPECT_EQ(reshard.exit_status().value_or(-1), 0) << read_file(log);
  }
  const std::int64_t at_end = total_ok();
  wait_until([&] { return total_ok() >= at_end + clients; }, 2s);
  stop = true;
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(cluster->wait_converged());
  std::int64_t errors = 0, wrong = 0, ok = 0;
  std::string first;
  for (auto& load : loads) {
    errors += load->errors;
    wrong += load->wrong;
    ok += load->ok.load();
    if (first.empty()) first = load->first_failure;
  }
  std::printf("reshard under load: %lld rounds ok, %lld errors, %lld wrong values\n",
              static_cast<long long>(ok), static_cast<long long>(errors),
              static_cast<long long>(wrong));
  EXPECT_EQ(errors, 0) << first;
  EXPECT_EQ(wrong, 0) << first;
  // Every acknowledged write is on its key's owner now.
  std::int64_t missing = 0;
  for (auto& load : loads) {
    for (const auto& [key, value] : load->acked) {
      RespConnection owner(cluster->primary_port_for_slot(routing::key_slot(key)));
      const resp::Value got = owner.command({"GET", key});
      if (got.str != value) {
        if (missing++ == 0) ADD_FAILURE() << key << ": " << got.str << ", wanted " << value;
      }
    }
  }
  EXPECT_EQ(missing, 0);
}

}  // namespace
}  // namespace funnel::test
