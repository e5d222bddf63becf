// FUNNEL PAUSE / RESUME and the admin listener's POST /pause, /resume (issue #17, item 2), against
// real redis-server processes: while paused, Funnel holds every request (nothing reaches Redis,
// nothing fails, clients stay connected), so Redis can be restarted without a client error; at
// RESUME the held requests go out in each client's order; at the pause's timeout they fail with
// a clear error. Before this change FUNNEL PAUSE was "ERR unknown subcommand".
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "admin_fixture.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;

using FunnelPauseTest = AdminFixture;

// One client's SET/GET loop with value checks; acked counts the SETs Redis acknowledged.
struct Writer {
  std::atomic<long> acked{0};
  std::vector<std::string> errors;
};

void write_loop(std::uint16_t port, int id, Writer& w, const std::atomic<bool>& stop) {
  try {
    RespConnection c(port, 60s);
    for (long n = 0; n < 1'000'000 && !stop.load(); ++n) {
      const std::string key = "w" + std::to_string(id) + ":" + std::to_string(n);
      const resp::Value set = c.command({"SET", key, "v" + key});
      if (set.str != "OK") return w.errors.push_back("SET " + key + ": " + set.str);
      w.acked.store(n + 1);
      const resp::Value get = c.command({"GET", key});
      if (get.str != "v" + key) return w.errors.push_back("GET " + key + ": " + get.str);
    }
  } catch (const std::exception& e) {
    w.errors.push_back(e.what());
  }
}

long total(const std::vector<std::unique_ptr<Writer>>& writers) {
  long sum = 0;
  for (const auto& w : writers) sum += w->acked.load();
  return sum;
}

// The runbook of docs/deployment.md ("Restarting Redis without errors"): PAUSE, restart Redis
// (append-only file, same port), wait for Funnel's links, RESUME.
TEST_F(FunnelPauseTest, RestartingRedisUnderPauseCostsNoClientErrors) {
  start({"--appendonly", "yes", "--appendfsync", "always"}, {"--workers", "2"});
  constexpr int kClients = 50;
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    writers.push_back(std::make_unique<Writer>());
    threads.emplace_back(write_loop, funnel_->port(), i, std::ref(*writers.back()),
                         std::cref(stop));
  }
  const auto finish = [&] {
    stop = true;
    for (auto& t : threads) t.join();
  };
  const auto all_acked_at_least = [&](const std::vector<long>& floor) {
    for (int i = 0; i < kClients; ++i) {
      if (writers[i]->acked.load() < floor[i]) return false;
    }
    return true;
  };
  ASSERT_TRUE(wait_until([&] { return all_acked_at_least(std::vector<long>(kClients, 5)); }, 30s))
      << "the clients did not get going";

  RespConnection control(funnel_->port());
  ASSERT_EQ(control.command({"FUNNEL", "PAUSE", "60000"}).str, "OK");
  // Every client has its next request held (none in flight), so nothing reaches Redis now.
  EXPECT_TRUE(wait_until([&] { return metric("funnel_pause_held_requests") == 50; }, 20s))
      << metric("funnel_pause_held_requests");
  EXPECT_EQ(metric("funnel_paused"), 1);
  const long before_restart = total(writers);
  const std::size_t links = count_prefix(funnel_link_names(redis_->port()), "funnel:shared");

  redis_->restart();  // SIGTERM: Redis writes its append-only file; same port and directory
  // Funnel reconnects on its own; the operator waits for the links before RESUME.
  EXPECT_TRUE(wait_until(
      [&] { return count_prefix(funnel_link_names(redis_->port()), "funnel:shared") >= links; },
      30s));
  EXPECT_EQ(total(writers), before_restart) << "a request went out during the pause";

  const HttpReply resumed = post("/resume");
  EXPECT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(metric("funnel_paused"), 0);
  std::vector<long> floor;
  for (const auto& w : writers) floor.push_back(w->acked.load() + 5);
  EXPECT_TRUE(wait_until([&] { return all_acked_at_least(floor); }, 30s))
      << "the held clients did not go on after RESUME";
  finish();

  for (int i = 0; i < kClients; ++i) {
    for (const std::string& e : writers[i]->errors) ADD_FAILURE() << "client " << i << ": " << e;
  }
  // Every acknowledged write is in the restarted Redis.
  RespConnection direct(redis_->port(), 30s);
  long missing = 0;
  for (int i = 0; i < kClients; ++i) {
    for (long n = 0; n < writers[i]->acked.load(); ++n) {
      const std::string key = "w" + std::to_string(i) + ":" + std::to_string(n);
      if (direct.command({"GET", key}).str != "v" + key) ++missing;
    }
  }
  EXPECT_EQ(missing, 0) << "of " << total(writers) << " acknowledged writes";
}

// A held request's deadline is the pause's timeout, not backend.request_timeout_ms; at the
// timeout it fails without reaching Redis and the pause is over.
TEST_F(FunnelPauseTest, HeldRequestsFailAtThePauseTimeoutWithAClearError) {
  start({}, {"--request-timeout-ms", "200"});
  RespConnection control(funnel_->port());
  RespConnection client(funnel_->port(), 20s);
  ASSERT_EQ(control.command({"FUNNEL", "PAUSE", "1500"}).str, "OK");
  const auto began = Clock::now();
  const resp::Value reply = client.command({"SET", "k", "v"});
  const auto waited = Clock::now() - began;
  EXPECT_TRUE(reply.is_error());
  EXPECT_EQ(reply.str.rfind("ERR funnel: paused", 0), 0u) << reply.str;
  EXPECT_GE(waited, 1300ms);  // held past the 200 ms request timeout
  RespConnection direct(redis_->port());
  EXPECT_TRUE(direct.command({"GET", "k"}).is_null()) << "the held SET reached Redis";
  EXPECT_EQ(client.command({"SET", "k", "w"}).str, "OK");  // the pause ended with its timeout
  EXPECT_EQ(direct.command({"GET", "k"}).str, "w");
}

// A client's pipelined requests keep their order across the pause, and PING is answered at once
// only when nothing of the client's is held before it.
TEST_F(FunnelPauseTest, HeldRequestsKeepEachClientsOrder) {
  start();
  RespConnection control(funnel_->port());
  RespConnection client(funnel_->port(), 20s);
  EXPECT_EQ(client.command({"PING"}).str, "PONG");
  ASSERT_EQ(control.command({"FUNNEL", "PAUSE"}).str, "OK");
  EXPECT_EQ(client.command({"PING"}).str, "PONG");  // answered by Funnel while paused
  client.send_command({"SET", "n", "1"});
  client.send_command({"INCR", "n"});
  client.send_command({"PING"});
  client.send_command({"GET", "n"});
  EXPECT_TRUE(wait_until([&] { return metric("funnel_pause_held_requests") == 1; }));
  RespConnection direct(redis_->port());
  EXPECT_TRUE(direct.command({"GET", "n"}).is_null());
  EXPECT_EQ(control.command({"FUNNEL", "RESUME"}).str, "OK");
  EXPECT_EQ(client.read_value().str, "OK");
  EXPECT_EQ(client.read_value().integer, 2);
  EXPECT_EQ(client.read_value().str, "PONG");
  EXPECT_EQ(client.read_value().str, "2");
}

// RESUME from the admin listener reaches the workers through the shared gate alone: a worker
// must not keep holding what its last paused batch held (WATCH, which would lease a link).
TEST_F(FunnelPauseTest, AResumeFromTheAdminListenerFreesEveryKindOfRequest) {
  start({}, {"--workers", "1"});
  RespConnection client(funnel_->port(), 5s);
  ASSERT_EQ(client.command({"FUNNEL", "PAUSE", "60000"}).str, "OK");
  EXPECT_EQ(post("/resume").status, 200);
  EXPECT_EQ(client.command({"WATCH", "k"}).str, "OK");
  EXPECT_EQ(client.command({"MULTI"}).str, "OK");
  EXPECT_EQ(client.command({"SET", "k", "v"}).str, "QUEUED");
  EXPECT_EQ(client.command({"EXEC"}).elems.size(), 1u);
  EXPECT_EQ(client.command({"GET", "k"}).str, "v");
}

// FUNNEL is for users with all commands (docs/security.md); the admin endpoints take the token.
TEST_F(FunnelPauseTest, OnlyAdminsPause) {
  const std::string config =
      dir_.write("funnel.toml", "[[users]]\nname = \"app\"\npassword_file = \"" +
                                    dir_.write("app.pass", "app-secret\n") +
                                    "\"\nrules = \"allkeys +@read +@write +@connection\"\n");
  start({}, {"--config", config});
  RespConnection app(funnel_->port());
  ASSERT_EQ(app.command({"AUTH", "app", "app-secret"}).str, "OK");
  const resp::Value refused = app.command({"FUNNEL", "PAUSE", "1000"});
  EXPECT_EQ(refused.str.rfind("NOPERM", 0), 0u) << refused.str;
  EXPECT_EQ(app.command({"SET", "k", "v"}).str, "OK");  // nothing was paused

  EXPECT_EQ(post("/pause?timeout_ms=1000", false).status, 401);
  EXPECT_EQ(http_get(admin_port_, "/pause", bearer()).status, 405);
  EXPECT_EQ(post("/pause?timeout_ms=abc").status, 400);
  EXPECT_EQ(metric("funnel_paused"), 0);
  EXPECT_EQ(post("/pause?timeout_ms=60000").status, 200);
  EXPECT_EQ(metric("funnel_paused"), 1);
  EXPECT_EQ(post("/resume").status, 200);
  EXPECT_EQ(app.command({"GET", "k"}).str, "v");
}

}  // namespace
}  // namespace funnel::test
