// FUNNEL PAUSE for clients on a pinned link (issue #17 item 2), against real redis-server
// processes: a client in WATCH, in a pinned MULTI, or tracking keys has its next request held
// (unsent, in its order) as a shared client has; a Redis restart under the pause costs the
// WATCH (EXEC answers nil, as when a watched key changed) but no client error, subscriptions
// survive it, and a BLPOP blocked when Redis went down gets the error that says its outcome is
// unknown. RESUME frees every worker's held clients at once (issue #17 item 3's prompt release):
// the test prints the lag from POST /resume to the held replies.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "admin_fixture.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;

class PinnedHoldTest : public AdminFixture {
 protected:
  bool held(long long count) {
    return wait_until([&] { return metric("funnel_pause_held_requests") == count; }, 10s);
  }
};

// Before: requests on a pinned link (WATCH, a pinned MULTI, tracking) went to Redis during the
// pause; only the shared client's INCR waited (the held count stayed 1, the keys were set).
TEST_F(PinnedHoldTest, PinnedClientsAreHeldUntilResume) {
  start();
  RespConnection watcher(funnel_->port(), 20s);
  RespConnection in_multi(funnel_->port(), 20s);
  RespConnection tracker(funnel_->port(), 20s);
  RespConnection shared(funnel_->port(), 20s);
  ASSERT_EQ(watcher.command({"WATCH", "w"}).str, "OK");
  ASSERT_EQ(in_multi.command({"WATCH", "m"}).str, "OK");
  ASSERT_EQ(in_multi.command({"MULTI"}).str, "OK");
  ASSERT_EQ(in_multi.command({"INCR", "m"}).str, "QUEUED");
  ASSERT_FALSE(tracker.command({"HELLO", "3"}).is_error());
  ASSERT_EQ(tracker.command({"CLIENT", "TRACKING", "on"}).str, "OK");
  ASSERT_EQ(shared.command({"SELECT", "1"}).str, "OK");

  ASSERT_EQ(post("/pause?timeout_ms=60000").status, 200);
  watcher.send_command({"INCR", "w"});
  in_multi.send_command({"EXEC"});
  tracker.send_command({"INCR", "t"});
  shared.send_command({"INCR", "s"});
  EXPECT_TRUE(held(4)) << metric("funnel_pause_held_requests") << " held";
  RespConnection direct(redis_->port());
  EXPECT_TRUE(direct.command({"GET", "w"}).is_null()) << "the WATCHing client's INCR ran";
  EXPECT_TRUE(direct.command({"GET", "m"}).is_null()) << "the pinned MULTI's EXEC ran";
  EXPECT_TRUE(direct.command({"GET", "t"}).is_null()) << "the tracking client's INCR ran";
  ASSERT_EQ(direct.command({"SELECT", "1"}).str, "OK");
  EXPECT_TRUE(direct.command({"GET", "s"}).is_null()) << "the SELECTed client's INCR ran";

  ASSERT_EQ(post("/resume").status, 200);
  EXPECT_EQ(watcher.read_value().integer, 1);
  const resp::Value exec = in_multi.read_value();
  ASSERT_EQ(exec.elems.size(), 1u) << exec.str;
  EXPECT_EQ(exec.elems[0].integer, 1);
  EXPECT_EQ(tracker.read_value().integer, 1);
  EXPECT_EQ(shared.read_value().integer, 1);
  EXPECT_EQ(metric("funnel_pause_held_requests"), 0);
}

// The runbook's restart with clients in WATCH, in a pinned MULTI, subscribed and blocked in BLPOP.
// Before: the WATCHing clients' MULTI, queued commands and EXEC got "backend ... unavailable
// (pinned link closed: connection lost)" errors.
TEST_F(PinnedHoldTest, RestartUnderPauseCostsTheWatchButNoError) {
  start({"--appendonly", "yes"}, {"--workers", "2"});
  RespConnection watcher(funnel_->port(), 20s);
  RespConnection in_multi(funnel_->port(), 20s);
  RespConnection subscriber(funnel_->port(), 20s);
  RespConnection blocked(funnel_->port(), 30s);
  RespConnection control(funnel_->port(), 20s);
  ASSERT_EQ(watcher.command({"WATCH", "k"}).str, "OK");
  ASSERT_EQ(in_multi.command({"WATCH", "m"}).str, "OK");
  ASSERT_EQ(in_multi.command({"MULTI"}).str, "OK");
  ASSERT_EQ(in_multi.command({"INCR", "m"}).str, "QUEUED");
  ASSERT_EQ(subscriber.command({"SUBSCRIBE", "news"}).elems.size(), 3u);
  blocked.send_command({"BLPOP", "queue", "0"});
  ASSERT_TRUE(wait_until([&] {
    return RespConnection(redis_->port())
               .command({"INFO", "clients"})
               .str.find("blocked_clients:1") != std::string::npos;
  }));
  const std::size_t links = count_prefix(funnel_link_names(redis_->port()), "funnel:shared");

  ASSERT_EQ(control.command({"FUNNEL", "PAUSE", "60000"}).str, "OK");
  redis_->restart();
  EXPECT_TRUE(wait_until(
      [&] { return count_prefix(funnel_link_names(redis_->port()), "funnel:shared") >= links; },
      30s));
  // The BLPOP was blocked in Redis when it stopped: whether it popped is unknown, so it is not
  // re-issued; its error says so (as a Redis client sees its connection drop).
  const resp::Value lost = blocked.read_value();
  EXPECT_TRUE(lost.is_error());
  EXPECT_NE(lost.str.find("may or may not have run"), std::string::npos) << lost.str;
  watcher.send_command({"MULTI"});
  watcher.send_command({"INCR", "k"});
  watcher.send_command({"EXEC"});
  in_multi.send_command({"INCR", "m"});
  in_multi.send_command({"EXEC"});
  ASSERT_EQ(control.command({"FUNNEL", "RESUME"}).str, "OK");

  EXPECT_EQ(watcher.read_value().str, "OK");
  EXPECT_EQ(watcher.read_value().str, "QUEUED");
  const resp::Value exec = watcher.read_value();
  EXPECT_TRUE(exec.is_null()) << "EXEC after the WATCH was lost: " << exec.str;
  EXPECT_EQ(in_multi.read_value().str, "QUEUED");
  const resp::Value exec_in_multi = in_multi.read_value();
  EXPECT_TRUE(exec_in_multi.is_null()) << exec_in_multi.str;
  RespConnection direct(redis_->port());
  EXPECT_TRUE(direct.command({"GET", "k"}).is_null()) << "a transaction whose WATCH was lost ran";
  EXPECT_TRUE(direct.command({"GET", "m"}).is_null());
  // The client retries, as after any failed WATCH: now it runs.
  for (RespConnection* client : {&watcher, &in_multi}) {
    ASSERT_EQ(client->command({"WATCH", "k"}).str, "OK");
    ASSERT_EQ(client->command({"MULTI"}).str, "OK");
    ASSERT_EQ(client->command({"INCR", "k"}).str, "QUEUED");
    EXPECT_EQ(client->command({"EXEC"}).elems.size(), 1u);
  }
  EXPECT_EQ(direct.command({"GET", "k"}).str, "2");
  EXPECT_EQ(blocked.command({"LPUSH", "queue", "x"}).integer, 1);  // the BLPOP's client goes on
  // The subscriber link resubscribed on the restarted Redis: the next message arrives.
  RespConnection publisher(funnel_->port());
  bool delivered = false;
  subscriber.set_timeout(200ms);
  for (int i = 0; i < 50 && !delivered; ++i) {
    publisher.command({"PUBLISH", "news", "after"});
    try {
      const resp::Value message = subscriber.read_value();
      delivered = message.elems.size() == 3 && message.elems[2].str == "after";
    } catch (const std::exception&) {
    }
  }
  EXPECT_TRUE(delivered) << "the subscription did not survive the restart";
}

// Item 3's prompt release: POST /resume (on the admin thread, no worker's) frees the clients
// held on both workers at once. Before, each worker freed its own on its next 100 ms tick (the
// mean of the slowest client's lag was about 65 ms; measured here: see the printed line).
TEST_F(PinnedHoldTest, ResumeFreesEveryWorkersHeldClientsAtOnce) {
  start({}, {"--workers", "2"});
  constexpr int kClients = 6;
  constexpr int kRounds = 10;
  std::vector<std::unique_ptr<RespConnection>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RespConnection>(funnel_->port(), 20s));
  }
  std::vector<long long> slowest;
  std::vector<long long> first;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_EQ(post("/pause?timeout_ms=60000").status, 200);
    for (auto& client : clients) client->send_command({"INCR", "n"});
    ASSERT_TRUE(held(kClients));
    std::vector<long long> lag(kClients, -1);
    std::vector<std::thread> readers;
    const auto resumed = Clock::now();
    for (int i = 0; i < kClients; ++i) {
      readers.emplace_back([&, i] {
        if (!clients[i]->read_value().is_error()) {
          lag[i] =
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - resumed).count();
        }
      });
    }
    ASSERT_EQ(post("/resume").status, 200);
    for (auto& reader : readers) reader.join();
    ASSERT_TRUE(std::none_of(lag.begin(), lag.end(), [](long long l) { return l < 0; }));
    slowest.push_back(*std::max_element(lag.begin(), lag.end()));
    first.push_back(*std::min_element(lag.begin(), lag.end()));
  }
  const auto mean_ms = [](const std::vector<long long>& us) {
    long long sum = 0;
    for (const long long v : us) sum += v;
    return static_cast<double>(sum) / static_cast<double>(us.size()) / 1000.0;
  };
  std::printf(
      "[ MEASURED ] POST /resume to the held replies, %d clients on 2 workers, %d rounds: first "
      "reply %.1f ms, last reply %.1f ms (means; worst last %.1f ms)\n",
      kClients, kRounds, mean_ms(first), mean_ms(slowest),
      static_cast<double>(*std::max_element(slowest.begin(), slowest.end())) / 1000.0);
  // Waiting for the 100 ms tick gave a mean near 90 ms (88-90 measured); a prompt release about
  // 12 ms under asan. 60 ms leaves a loaded CI machine room without letting the tick pass.
  EXPECT_LT(mean_ms(slowest), 60.0) << "held clients waited for their worker's tick";
}

}  // namespace
}  // namespace funnel::test
