// diff_for_reload: which changed keys a reload applies live and which it reports by name as
// needing a restart (issue #17, item 1), one row per case.
#include "config/reload_diff.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace funnel::config {
namespace {

struct Row {
  std::string running;  // TOML of the running configuration
  std::string next;     // TOML of the re-read file
  std::vector<std::string> live;
  std::vector<std::string> restart;
};

TEST(ReloadDiff, NamesEveryChangedKey) {
  const std::vector<Row> rows = {
      {"", "", {}, {}},
      {"[log]\nlevel = \"info\"\n", "[log]\nlevel = \"debug\"\n", {"log.level"}, {}},
      {"", "[server]\nmax_clients = 20\n", {"server.max_clients"}, {}},
      {"", "[server]\nworkers = 2\n", {}, {"server.workers"}},
      {"", "[server]\nlisten = \"127.0.0.1:7000\"\n", {}, {"server.listen"}},
      {"",
       "[backend]\nrequest_timeout_ms = 100\nmax_pinned = 7\ndatabases = 7\n[log]\nlevel = "
       "\"warn\"\n",
       {"backend.request_timeout_ms", "backend.max_pinned", "log.level"},
       {"backend.databases"}},
      {"[server]\nmax_clients = 20\n", "[server]\nmax_clients = 20\n", {}, {}},
      {"",
       "[[users]]\nname = \"app\"\npassword_sha256 = \"" + std::string(64, 'a') +
           "\"\nrules = \"+@read\"\n",
       {"auth.users"},
       {}},
      {"", "[topology]\nread_policy = \"any\"\n", {"topology.read_policy"}, {}},
      // [[topology.nodes]] is named (before: a reload said nothing changed).
      {"[[topology.nodes]]\naddress = \"127.0.0.1:7000\"\nzone = \"a\"\n",
       "[[topology.nodes]]\naddress = \"127.0.0.1:7000\"\nzone = \"b\"\n",
       {},
       {"topology.nodes"}},
      {"[backend]\naddress = \"127.0.0.1:7000\"\n",
       "[backend]\naddress = \"127.0.0.1:7001\"\n[topology]\nreplicas = [\"127.0.0.1:7002\"]\n",
       {"backend.address", "topology.replicas"},
       {}},
      // A Redis Cluster's replica pools are made at start.
      {"[cluster]\nseeds = [\"127.0.0.1:7000\"]\n",
       "[cluster]\nseeds = [\"127.0.0.1:7000\"]\n[topology]\nread_policy = \"any\"\n",
       {},
       {"topology.read_policy"}},
  };
  for (const Row& row : rows) {
    const ReloadDiff diff =
        diff_for_reload(load_toml(row.running, "running.toml"), load_toml(row.next, "next.toml"));
    EXPECT_EQ(diff.live, row.live) << row.next;
    EXPECT_EQ(diff.restart, row.restart) << row.next;
  }
}

// A secret rewritten in its file (same path) is a change of the key that names the file.
TEST(ReloadDiff, ASecretWithNewContentIsAChange) {
  Config running = load_toml("", "running.toml");
  Config next = running;
  next.auth.requirepass = "rotated";
  next.backend.password = "rotated";
  const ReloadDiff diff = diff_for_reload(running, next);
  EXPECT_EQ(diff.live,
            (std::vector<std::string>{"auth.requirepass_file", "backend.password_file"}));
  EXPECT_TRUE(diff.restart.empty());
}

// TLS files under other paths are live while TLS stays on; turning it on (or off) needs a
// restart, which is when the listeners and links are made plain or TLS.
TEST(ReloadDiff, TlsFilesAreLiveWhileTlsStaysOn) {
  Config running = load_toml("", "running.toml");
  Config next = running;
  next.tls.cert_file = "b.pem";
  next.backend.tls_ca_file = "ca.pem";
  ReloadDiff diff = diff_for_reload(running, next);
  EXPECT_TRUE(diff.live.empty());
  EXPECT_EQ(diff.restart, (std::vector<std::string>{"backend.tls_ca_file", "tls.cert_file"}));

  running.tls.cert_file = "a.pem";
  running.backend.tls = 1;
  next.backend.tls = 1;
  diff = diff_for_reload(running, next);
  EXPECT_EQ(diff.live, (std::vector<std::string>{"backend.tls_ca_file", "tls.cert_file"}));
  EXPECT_TRUE(diff.restart.empty());
}

// The shared pools resize live, but not a Redis Cluster's shard pools; a rewritten admin token
// file is a change of admin.token_file.
TEST(ReloadDiff, PoolSizeAndAdminToken) {
  Config running = load_toml("", "running.toml");
  Config next = running;
  next.backend.connections_per_node = running.backend.connections_per_node + 1;
  next.admin.token = "rotated";
  ReloadDiff diff = diff_for_reload(running, next);
  EXPECT_EQ(diff.live,
            (std::vector<std::string>{"backend.connections_per_node", "admin.token_file"}));
  running.cluster.seeds.push_back(HostPort{"127.0.0.1", 7000});
  next.cluster.seeds = running.cluster.seeds;
  diff = diff_for_reload(running, next);
  EXPECT_EQ(diff.live, (std::vector<std::string>{"admin.token_file"}));
  EXPECT_EQ(diff.restart, (std::vector<std::string>{"backend.connections_per_node"}));

  // One link per worker by default: the count follows server.workers, to the next restart.
  running = load_toml("", "running.toml");
  running.server.workers = running.backend.connections_per_node = 2;  // as finalize() makes them
  next = running;
  next.server.workers = next.backend.connections_per_node = 3;
  diff = diff_for_reload(running, next);
  EXPECT_TRUE(diff.live.empty());
  EXPECT_EQ(diff.restart,
            (std::vector<std::string>{"server.workers", "backend.connections_per_node"}));
}

}  // namespace
}  // namespace funnel::config
