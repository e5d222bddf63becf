// Observability from the outside: the admin HTTP endpoints (/metrics, /healthz, /readyz,
// /backends, /stats), the FUNNEL command family and INFO's # Funnel section, checked against the
// traffic each test produces itself. promtool (Debian's prometheus package) judges the exposition.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "harness.hpp"
#include "support/fake_backend.hpp"
#include "support/http_get.hpp"

namespace funnel::test {
namespace {

using Commands = std::vector<std::vector<std::string>>;

// Samples of a text exposition by series, "name{labels}" exactly as Funnel writes it.
using Samples = std::map<std::string, double>;

Samples parse_samples(const std::string& text) {
  Samples samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t space = line.rfind(' ');
    if (line.empty() || line[0] == '#' || space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

// A counter series that has not happened yet is absent from the exposition: it counts as 0.
double value(const Samples& samples, const std::string& series) {
  const auto it = samples.find(series);
  return it == samples.end() ? 0 : it->second;
}

std::string command_series(const std::string& command, const std::string& outcome) {
  return "funnel_commands_total{command=\"" + command + "\",outcome=\"" + outcome + "\"}";
}

std::string histogram_count(const std::string& name, const std::string& cls) {
  return name + "_count{class=\"" + cls + "\"}";
}

// "key:value" lines (FUNNEL STATS) or "key":number pairs (/stats JSON) as strings.
std::map<std::string, std::string> parse_fields(const std::string& text, bool json) {
  std::map<std::string, std::string> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (json) {
      const std::size_t open = text.find('"', pos);
      const std::size_t close = open == std::string::npos ? open : text.find("\":", open + 1);
      if (close == std::string::npos) break;
      const std::size_t stop = text.find_first_of(",}", close);
      if (stop == std::string::npos) break;
      fields.emplace(text.substr(open + 1, close - open - 1),
                     text.substr(close + 2, stop - close - 2));
      pos = stop;  // past the value: a quoted value is not the next key
    } else {
      const std::size_t eol = std::min(text.find("\r\n", pos), text.size());
      const std::string line = text.substr(pos, eol - pos);
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) fields[line.substr(0, colon)] = line.substr(colon + 1);
      pos = eol + 2;
    }
  }
  return fields;
}

// Runs a shell command line, returns its exit status and fills output (stdout + stderr).
int run_command(const std::string& line, std::string& output) {
  FILE* pipe = ::popen((line + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw_errno("popen " + line);
  char chunk[4096];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) output.append(chunk, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class ObservabilityTest : public ::testing::Test {
 protected:
  // redis-server + Funnel (2 workers unless args say otherwise) with an admin listener on a free
  // port; returns once Funnel is ready and its counters are settled.
  void start(std::vector<std::string> funnel_args = {}) {
    redis_ = RedisServer::start();
    start_funnel(redis_->port(), std::move(funnel_args));
  }
  void start_funnel(std::uint16_t backend_port, std::vector<std::string> args) {
    if (std::find(args.begin(), args.end(), "--workers") == args.end()) {
      args.insert(args.begin(), {"--workers", "2"});
    }
    args.insert(args.begin(), {"--backend", backend_arg(backend_port)});
    std::string why;
    funnel_ = retry_with_free_port([&](std::uint16_t port) -> std::unique_ptr<FunnelProcess> {
      admin_port_ = port;
      auto with_admin = args;
      with_admin.insert(with_admin.end(), {"--admin", "127.0.0.1:" + std::to_string(port)});
      try {
        return FunnelProcess::start(with_admin);
      } catch (const std::exception& e) {
        why = e.what();  // most likely the admin port was taken meanwhile: try another
        return nullptr;
      }
    });
    if (!funnel_) throw std::runtime_error("funnel did not start: " + why);
    // Ready, and the one connection FunnelProcess made to see the port open has come and gone:
    // from here on the connection counters move only with the test's own clients.
    const bool settled = wait_until([&] {
      if (get("/readyz").status != 200) return false;
      const Samples s = parse_samples(get("/metrics").body);
      return value(s, "funnel_client_connections_accepted_total") == 1 &&
             value(s, "funnel_client_connections") == 0;
    });
    if (!settled) throw std::runtime_error("admin never settled:\n" + funnel_->log_text());
  }
  void TearDown() override {
    if (funnel_) {
      EXPECT_EQ(funnel_->stop(), 0) << funnel_->log_text();
    }
  }

  HttpReply get(const std::string& path) { return http_get(admin_port_, path); }
  Samples scrape() {
    const HttpReply reply = get("/metrics");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return parse_samples(reply.body);
  }
  std::map<std::string, std::string> stats_json() { return parse_fields(get("/stats").body, true); }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<FunnelProcess> funnel_;
  std::uint16_t admin_port_ = 0;
};

TEST_F(ObservabilityTest, PromtoolAcceptsTheExpositionAfterRealTraffic) {
  start();
  RespConnection c(funnel_->port());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.command({"SET", "k" + std::to_string(i), "v"}).str, "OK");
  EXPECT_EQ(c.command({"GET", "k1"}).str, "v");
  EXPECT_TRUE(c.command({"NOSUCHCMD", "x"}).is_error());  // outcome error (Funnel's)
  EXPECT_TRUE(c.command({"INCR", "k1"}).is_error());      // outcome error (backend's)
  EXPECT_TRUE(c.command({"WAIT", "0", "0"}).is_error());  // outcome proxy_error
  EXPECT_EQ(c.command({"PING"}).str, "PONG");
  EXPECT_FALSE(c.command({"FUNNEL", "STATS"}).is_error());

  const HttpReply metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.headers.find("text/plain; version=0.0.4"), std::string::npos)
      << metrics.headers;
  const TempDir dir("funnel-promtool");
  std::ofstream(dir.file("metrics.txt")) << metrics.body;
  std::string output;
  const int status =
      run_command(find_program("promtool") + " check metrics < " + dir.file("metrics.txt"), output);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "") << "promtool lint warnings:\n" << output;

  // Every family that is declared has samples (a HELP and a TYPE with nothing under it would
  // chart as "no data").
  std::istringstream lines(metrics.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    EXPECT_NE(metrics.body.find("\n" + name + (line.ends_with("histogram") ? "_bucket{" : "")),
              std::string::npos)
        << name << " has no sample";
    EXPECT_NE(metrics.body.find("# HELP " + name + " "), std::string::npos) << name;
  }
  for (const char* outcome : {"ok", "error", "proxy_error"}) {
    EXPECT_NE(metrics.body.find(std::string("outcome=\"") + outcome + "\""), std::string::npos);
  }
}

TEST_F(ObservabilityTest, CountersMoveExactlyAsTrafficDoes) {
  start();
  const Samples before = scrape();
  RespConnection c(funnel_->port());
  std::vector<std::unique_ptr<RespConnection>> extra;
  for (int i = 0; i < 3; ++i) extra.push_back(std::make_unique<RespConnection>(funnel_->port()));
  ASSERT_TRUE(wait_until([&] {
    const Samples s = scrape();
    return value(s, "funnel_client_connections") ==
               value(before, "funnel_client_connections") + 4 &&
           value(s, "funnel_client_connections_accepted_total") ==
               value(before, "funnel_client_connections_accepted_total") + 4;
  }));

  constexpr int kSets = 25, kGets = 9, kUnknown = 3, kRefused = 2;
  std::size_t request_bytes = 0, reply_bytes = 0;
  const auto send = [&](const std::vector<std::string>& args) {
    const std::string request = encode_command(args);
    c.send_raw(request);
    request_bytes += request.size();
    const std::string reply = c.read_raw_reply();
    reply_bytes += reply.size();
    return reply;
  };
  for (int i = 0; i < kSets; ++i)
    EXPECT_EQ(send({"SET", "key:" + std::to_string(i), "v"}), "+OK\r\n");
  for (int i = 0; i < kGets; ++i) send({"GET", "key:" + std::to_string(i * 4)});  // hits, misses
  for (int i = 0; i < kUnknown; ++i) EXPECT_EQ(send({"NOSUCHCMD"})[0], '-');
  for (int i = 0; i < kRefused; ++i) {
    EXPECT_EQ(send({"WAIT", "0", "0"}).rfind("-ERR funnel:", 0), 0u);
  }
  EXPECT_EQ(send({"INCR", "key:0"})[0], '-');  // the backend's error: a write with outcome error

  const Samples after = scrape();
  const auto delta = [&](const std::string& series) {
    return value(after, series) - value(before, series);
  };
  EXPECT_EQ(delta(command_series("set", "ok")), kSets);
  EXPECT_EQ(delta(command_series("get", "ok")), kGets);
  EXPECT_EQ(delta(command_series("other", "error")), kUnknown);
  EXPECT_EQ(delta(command_series("wait", "proxy_error")), kRefused);
  EXPECT_EQ(delta(command_series("incr", "error")), 1);
  for (const std::string& name : {std::string("funnel_request_duration_seconds"),
                                  std::string("funnel_proxy_added_duration_seconds")}) {
    EXPECT_EQ(delta(histogram_count(name, "write")), kSets + 1) << name;
    EXPECT_EQ(delta(histogram_count(name, "read")), kGets) << name;
    EXPECT_EQ(delta(histogram_count(name, "local")), kUnknown + kRefused) << name;
    EXPECT_EQ(value(after, name + "_bucket{class=\"write\",le=\"+Inf\"}"),
              value(after, histogram_count(name, "write")));
    EXPECT_GT(delta(name + "_sum{class=\"write\"}"), 0) << name;
  }
  EXPECT_EQ(delta("funnel_client_received_bytes_total"), static_cast<double>(request_bytes));
  // Sent bytes are counted once the write returns, which may be just after the client has read
  // them.
  EXPECT_TRUE(wait_until([&] {
    return value(scrape(), "funnel_client_sent_bytes_total") -
               value(before, "funnel_client_sent_bytes_total") ==
           static_cast<double>(reply_bytes);
  }));
  EXPECT_EQ(value(after, "funnel_requests_in_flight"), 0);

  c.close();
  extra.clear();
  EXPECT_TRUE(wait_until([&] {
    const Samples s = scrape();
    return value(s, "funnel_client_connections_closed_total{reason=\"client\"}") ==
               value(before, "funnel_client_connections_closed_total{reason=\"client\"}") + 4 &&
           value(s, "funnel_client_connections") == value(before, "funnel_client_connections");
  })) << get("/metrics").body;
}

TEST_F(ObservabilityTest, MetricsOffLeavesOutPerRequestCountersOnly) {
  start({"--metrics", "0"});
  RespConnection c(funnel_->port());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.command({"SET", "k", "v"}).str, "OK");
  // Connection counters stay.
  EXPECT_TRUE(wait_until([&] { return value(scrape(), "funnel_client_connections") == 1; }));
  const Samples s = scrape();
  EXPECT_EQ(value(s, command_series("set", "ok")), 0);
  EXPECT_EQ(value(s, histogram_count("funnel_request_duration_seconds", "write")), 0);
  EXPECT_GE(value(s, "funnel_client_connections_accepted_total"), 1);
}

TEST_F(ObservabilityTest, AuthFailuresAreCounted) {
  const TempDir dir("funnel-obs-auth");
  std::ofstream(dir.file("pass")) << "s3cret\n";
  start({"--requirepass-file", dir.file("pass")});
  RespConnection c(funnel_->port());
  const double before = value(scrape(), "funnel_client_auth_failures_total");
  EXPECT_TRUE(c.command({"AUTH", "wrong"}).is_error());
  EXPECT_TRUE(c.command({"AUTH", "default", "wrong"}).is_error());
  EXPECT_TRUE(c.command({"HELLO", "3", "AUTH", "default", "wrong"}).is_error());
  EXPECT_EQ(c.command({"AUTH", "s3cret"}).str, "OK");  // a success is not a failure
  EXPECT_EQ(value(scrape(), "funnel_client_auth_failures_total") - before, 3);
  EXPECT_EQ(stats_json()["auth_failures"], std::to_string(static_cast<int>(before) + 3));
  EXPECT_EQ(parse_fields(c.command({"FUNNEL", "STATS"}).str, false)["auth_failures"],
            std::to_string(static_cast<int>(before) + 3));
}

TEST_F(ObservabilityTest, BackendsFollowsTheBackendWhileReadinessStaysUp) {
  start();
  EXPECT_EQ(get("/backends").status, 200);
  EXPECT_NE(get("/backends").body.find("\"state\":\"up\""), std::string::npos);
  bool ready_throughout = true;
  const auto backends_status = [&](int wanted) {
    ready_throughout = ready_throughout && get("/readyz").status == 200;
    return get("/backends").status == wanted;
  };
  redis_->stop();
  ASSERT_TRUE(wait_until([&] { return backends_status(503); }, 20s)) << get("/backends").body;
  const HttpReply down = get("/backends");
  EXPECT_NE(down.body.find("\"state\":\"down\""), std::string::npos) << down.body;
  EXPECT_NE(down.headers.find("application/json"), std::string::npos) << down.headers;
  const std::string address = backend_arg(redis_->port());
  EXPECT_EQ(value(scrape(), "funnel_backend_up{backend=\"" + address + "\",role=\"primary\"}"), 0);

  // Clients get Funnel's clear error meanwhile, counted as a proxy error.
  const double proxy_errors = value(scrape(), command_series("get", "proxy_error"));
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"GET", "k"}).str.rfind("ERR funnel:", 0), 0u);
  EXPECT_EQ(value(scrape(), command_series("get", "proxy_error")), proxy_errors + 1);

  redis_->restart();
  ASSERT_TRUE(wait_until([&] { return backends_status(200); }, 20s)) << get("/backends").body;
  EXPECT_NE(get("/backends").body.find("\"state\":\"up\""), std::string::npos);
  EXPECT_EQ(value(scrape(), "funnel_backend_up{backend=\"" + address + "\",role=\"primary\"}"), 1);
  EXPECT_TRUE(ready_throughout) << "/readyz must not follow the backend";
  EXPECT_EQ(get("/readyz").status, 200);
  EXPECT_TRUE(wait_until([&] { return c.command({"SET", "k", "v"}).str == "OK"; }));
}

TEST_F(ObservabilityTest, ReadinessIsWithdrawnDuringTheDrain) {
  auto backend = FakeBackend::start([](const std::vector<std::string>& args, int) {
    if (args.size() == 2 && args[0] == "GET") {
      return FakeBackend::Action::reply_after(3s, "$4\r\nslow\r\n");  // keeps the drain open
    }
    return FakeBackend::Action::default_reply();
  });
  start_funnel(backend->port(), {});
  EXPECT_EQ(get("/readyz").status, 200);
  EXPECT_EQ(get("/healthz").status, 200);
  RespConnection c(funnel_->port());
  c.send_command({"GET", "k"});
  ASSERT_TRUE(backend_saw(*backend, "GET"));
  EXPECT_EQ(value(scrape(), "funnel_requests_in_flight"), 1);
  funnel_->signal(SIGTERM);
  EXPECT_TRUE(wait_until([&] { return get("/readyz").status == 503; }, 2s));
  EXPECT_EQ(get("/healthz").status, 200);  // draining, still alive
  EXPECT_EQ(c.read_value().str, "slow");   // the drain lets it finish
  EXPECT_EQ(funnel_->stop(), 0) << funnel_->log_text();
}

// While many clients are connected, a scrape must still be quick: the admin listener has its own
// thread and the scrape sums per-worker counters, it does not walk the clients.
TEST_F(ObservabilityTest, MetricsAnswerQuicklyWhileManyClientsAreConnected) {
  const int clients = reduced_scale() ? 500 : 5000;
  start({"--max-clients", std::to_string(clients + 100)});
  std::vector<std::unique_ptr<RespConnection>> connections;
  for (int i = 0; i < clients; ++i) {
    connections.push_back(std::make_unique<RespConnection>(funnel_->port()));
    connections.back()->send_command({"SET", "client:" + std::to_string(i), "v"});
  }
  for (auto& connection : connections) ASSERT_EQ(connection->read_value().str, "OK");
  ASSERT_TRUE(wait_until([&] { return value(scrape(), "funnel_client_connections") == clients; }));
  for (const char* path : {"/metrics", "/stats", "/healthz", "/readyz", "/backends"}) {
    const auto started = Clock::now();
    const HttpReply reply = get(path);
    const auto took = Clock::now() - started;
    EXPECT_EQ(reply.status, 200) << path;
    EXPECT_LT(took, 2s) << path << " took "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms";
  }
  const Samples s = scrape();
  EXPECT_EQ(value(s, command_series("set", "ok")), clients);
  EXPECT_EQ(stats_json()["clients_connected"], std::to_string(clients));
}

TEST_F(ObservabilityTest, PinnedLinksAndTransactionsAreCounted) {
  start();
  RespConnection c(funnel_->port());
  c.send_raw(encode_command({"MULTI"}) + encode_command({"INCR", "n"}) + encode_command({"EXEC"}));
  for (int i = 0; i < 3; ++i) c.read_raw_reply();
  EXPECT_EQ(c.command({"WATCH", "n"}).str, "OK");
  Samples s = scrape();
  EXPECT_EQ(value(s, "funnel_transactions_total"), 1);
  EXPECT_EQ(value(s, "funnel_pins_total{reason=\"watch\"}"), 1);
  EXPECT_EQ(value(s, "funnel_pinned_links_leased"), 1);
  EXPECT_EQ(value(s, "funnel_pinned_links_open"), 1);
  EXPECT_EQ(value(s, "funnel_pinned_links_limit"), 64);
  EXPECT_EQ(c.command({"UNWATCH"}).str, "OK");
  EXPECT_TRUE(c.command({"BLPOP", "none", "0.01"}).is_null());
  ASSERT_TRUE(wait_until([&] {
    s = scrape();
    return value(s, "funnel_pinned_links_leased") == 0;
  }));
  EXPECT_EQ(value(s, "funnel_pins_total{reason=\"blocking\"}"), 1);
  EXPECT_EQ(value(s, "funnel_pin_duration_seconds_count"), 2);
  EXPECT_EQ(value(s, "funnel_pinned_links_open"), 1);  // returned clean and kept for reuse
  EXPECT_EQ(value(s, "funnel_pinned_borrow_timeouts_total"), 0);
}

TEST_F(ObservabilityTest, FunnelCommandsAgreeWithStats) {
  start();
  RespConnection c(funnel_->port());
  std::size_t sent = 0;  // counted once the write returns, maybe after we have read the reply
  for (const auto& request : {std::vector<std::string>{"NOSUCHCMD"}, {"WAIT", "0", "0"}}) {
    c.send_command(request);
    sent += c.read_raw_reply().size();
  }
  for (int i = 0; i < 7; ++i) {
    c.send_command({"SET", "k", "v"});
    sent += c.read_raw_reply().size();
  }
  ASSERT_TRUE(wait_until([&] { return stats_json()["bytes_sent"] == std::to_string(sent); }));

  // /stats first, then FUNNEL STATS, which reports before counting itself: the only difference
  // is the bytes of the FUNNEL STATS request.
  auto json = stats_json();
  const std::vector<std::string> request = {"FUNNEL", "STATS"};
  auto report = parse_fields(c.command(request).str, false);
  for (const char* field :
       {"clients_connected", "clients_accepted", "clients_rejected_max_clients", "auth_failures",
        "commands", "command_errors", "proxy_errors", "requests_in_flight", "bytes_sent",
        "backend_connects", "backend_reconnects", "backend_timeouts"}) {
    EXPECT_EQ(report[field], json[field]) << field;
  }
  EXPECT_EQ(std::stoull(report["bytes_received"]),
            std::stoull(json["bytes_received"]) + encode_command(request).size());
  EXPECT_EQ(report["commands"], "9");
  EXPECT_EQ(report["command_errors"], "1");
  EXPECT_EQ(report["proxy_errors"], "1");

  const std::string pools = c.command({"FUNNEL", "POOLS"}).str;
  EXPECT_NE(pools.find("backend:" + backend_arg(redis_->port()) + " role:primary state:up"),
            std::string::npos)
      << pools;
  EXPECT_NE(pools.find("shared_links_ready:" + json["shared_links_ready"]), std::string::npos)
      << pools;

  RespConnection resp3(funnel_->port());
  ASSERT_EQ(resp3.command({"HELLO", "3"}).type, resp::ValueType::kMap);
  EXPECT_TRUE(wait_until([&] {  // per-worker counts are refreshed on the worker's tick
    const std::string clients = resp3.command({"FUNNEL", "CLIENTS"}).str;
    int sum = 0, workers = 0;
    for (std::size_t pos = 0; (pos = clients.find(" clients:", pos)) != std::string::npos; ++pos) {
      sum += std::atoi(clients.c_str() + pos + 9);
      ++workers;
    }
    return clients.starts_with("clients_connected:2 max_clients:10000\r\n") && workers == 2 &&
           sum == 2;
  })) << resp3.command({"FUNNEL", "CLIENTS"}).str;
  EXPECT_EQ(resp3.command({"FUNNEL", "STATS"}).type, resp::ValueType::kVerbatim);

  const resp::Value help = c.command({"FUNNEL", "HELP"});
  ASSERT_EQ(help.type, resp::ValueType::kArray);
  std::string help_text;
  for (const auto& line : help.elems) help_text += line.str + "\n";
  for (const char* sub : {"STATS", "POOLS", "CLIENTS"}) {
    EXPECT_NE(help_text.find(sub), std::string::npos) << help_text;
  }
  EXPECT_EQ(c.command({"FUNNEL", "NOPE"}).str, "ERR unknown subcommand 'NOPE'. Try FUNNEL HELP.");

  json = stats_json();
  for (const char* section : {"", "funnel", "everything"}) {
    std::vector<std::string> info = {"INFO"};
    if (*section != '\0') info.emplace_back(section);
    const auto fields = parse_fields(c.command(info).str, false);
    EXPECT_EQ(fields.at("funnel_connected_clients"), json["clients_connected"]) << section;
    EXPECT_EQ(fields.at("funnel_total_connections_received"), json["clients_accepted"]);
    EXPECT_EQ(fields.at("funnel_backend"), backend_arg(redis_->port()));
    EXPECT_EQ(fields.at("funnel_workers"), "2");
  }
  EXPECT_EQ(c.command({"INFO", "server"}).str.find("# Funnel"), std::string::npos);
}

// A client that leaves while a forwarded request and a local reply queued behind it are pending
// must not leave the in-flight gauge off (it once wrapped below zero to 2^64 - 1).
TEST_F(ObservabilityTest, InFlightReturnsToZeroWhenAClientLeavesWithRepliesPending) {
  start({"--workers", "1", "--deny-commands", "@default -debug"});  // DEBUG SLEEP: a slow reply
  {
    RespConnection c(funnel_->port());
    c.send_raw(encode_command({"DEBUG", "SLEEP", "0.3"}) + encode_command({"PING"}));
    ASSERT_TRUE(wait_until([&] { return value(scrape(), "funnel_requests_in_flight") == 1; }));
  }
  // Same worker, same link: this GET is answered after DEBUG SLEEP's reply reached Funnel.
  RespConnection next(funnel_->port());
  EXPECT_TRUE(next.command({"GET", "k"}).is_null());
  EXPECT_TRUE(wait_until([&] { return value(scrape(), "funnel_client_connections") == 1; }));
  EXPECT_EQ(value(scrape(), "funnel_requests_in_flight"), 0);
  EXPECT_EQ(stats_json()["requests_in_flight"], "0");
}

// Pub/sub: backend subscriptions (each once), subscribed clients, messages in from the
// subscriber link and out to clients, and the subscriber link in the connection budget.
TEST_F(ObservabilityTest, PubsubMetricsFollowSubscriptions) {
  start();
  const auto subs = [](const char* kind) {
    return std::string("funnel_pubsub_backend_subscriptions{kind=\"") + kind + "\"}";
  };
  const std::string subscriber_link = "funnel_backend_connections{backend=\"" +
                                      backend_arg(redis_->port()) +
                                      "\",role=\"primary\",kind=\"subscriber\"}";
  Samples s = scrape();
  EXPECT_EQ(value(s, subs("channel")), 0);
  EXPECT_EQ(value(s, "funnel_pubsub_clients"), 0);
  EXPECT_EQ(value(s, subscriber_link), 0);  // connected on the first subscription only
  {
    RespConnection a(funnel_->port()), b(funnel_->port()), c(funnel_->port());
    for (auto [conn, command] : {std::pair{&a, Commands{{"SUBSCRIBE", "m1"}, {"PSUBSCRIBE", "m*"}}},
                                 std::pair{&b, Commands{{"SUBSCRIBE", "m1"}}},
                                 std::pair{&c, Commands{{"SSUBSCRIBE", "ms"}}}}) {
      for (const auto& args : command) {
        conn->send_command(args);
        conn->read_raw_reply();
      }
    }
    ASSERT_TRUE(wait_until([&] {
      s = scrape();
      return value(s, subs("channel")) == 1 && value(s, subs("pattern")) == 1 &&
             value(s, subs("shard_channel")) == 1 && value(s, "funnel_pubsub_clients") == 3 &&
             value(s, subscriber_link) == 1;
    })) << get("/metrics").body;
    RespConnection direct(redis_->port());
    for (int i = 0; i < 2; ++i) EXPECT_EQ(direct.command({"PUBLISH", "m1", "x"}).integer, 2);
    for (int i = 0; i < 4; ++i) a.read_raw_reply();  // message and pmessage, twice
    for (int i = 0; i < 2; ++i) b.read_raw_reply();
    s = scrape();
    EXPECT_EQ(value(s, "funnel_pubsub_messages_received_total"), 4);
    EXPECT_EQ(value(s, "funnel_pubsub_messages_delivered_total"), 6);
    EXPECT_EQ(value(s, "funnel_pubsub_slow_subscribers_closed_total"), 0);
    EXPECT_EQ(stats_json()["messages_delivered"], "6");
  }
  EXPECT_TRUE(wait_until([&] {
    s = scrape();
    return value(s, subs("channel")) == 0 && value(s, subs("pattern")) == 0 &&
           value(s, subs("shard_channel")) == 0 && value(s, "funnel_pubsub_clients") == 0;
  })) << get("/metrics").body;
}

}  // namespace
}  // namespace funnel::test
