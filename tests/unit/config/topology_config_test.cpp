// The [topology] keys and flags: list values (TOML arrays, repeatable flags), the read policy and
// read-your-writes choices, ranges, one source of nodes at a time, Sentinel's name and password,
// and addresses that must differ.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Action = Invocation::Action;

using TopologyConfigTest = ConfigTest;

TEST_F(TopologyConfigTest, DefaultsAreOneNodeReadingFromThePrimary) {
  Invocation run = invoke({"--backend", "127.0.0.1:6379"});
  const TopologyConfig& t = run.config.topology;
  EXPECT_TRUE(t.replicas.empty());
  EXPECT_FALSE(t.discover.has_value());
  EXPECT_TRUE(t.sentinels.empty());
  EXPECT_EQ(t.read_policy, "primary");
  EXPECT_EQ(t.read_your_writes, "off");
  EXPECT_EQ(t.health_interval_ms, 1000u);
  EXPECT_EQ(t.max_replica_lag_bytes, 1ull << 20);
  EXPECT_EQ(t.max_replica_lag_s, 10u);
  EXPECT_EQ(t.offset_poll_ms, 5u);
  EXPECT_EQ(t.sentinel_refresh_ms, 1000u);
  EXPECT_EQ(t.sentinel_tls, 1u);
  EXPECT_FALSE(t.multi_node());
}

TEST_F(TopologyConfigTest, ReplicaFlagRepeatsAndKeepsItsOrder) {
  Invocation run = invoke({"--backend", "10.0.0.5:6379", "--replica", "10.0.0.6:6379",
                           "--replica=[::1]:6380", "--read-policy", "prefer-replica"});
  EXPECT_EQ(run.action, Action::kRun);
  EXPECT_EQ(run.config.topology.replicas,
            (std::vector<HostPort>{{"10.0.0.6", 6379}, {"::1", 6380}}));
  EXPECT_EQ(run.config.topology.read_policy, "prefer-replica");
  EXPECT_TRUE(run.config.topology.multi_node());
}

TEST_F(TopologyConfigTest, OtherFlagsStillRefuseRepeats) {
  EXPECT_THAT(error_of([] {
                invoke({"--discover", "a:1", "--discover", "b:2"});
              }),
              StartsWith("--discover was given 2 times (a:1, b:2): give it once"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "a:1", "--read-policy", "any", "--read-policy", "primary"});
              }),
              StartsWith("--read-policy was given 2 times"));
}

TEST_F(TopologyConfigTest, EveryTopologyFlagSetsItsKey) {
  TempFile password("s3cret\n");
  Invocation run = invoke({"--sentinel",
                           "127.0.0.1:26379",
                           "--sentinel",
                           "127.0.0.1:26380",
                           "--sentinel-master",
                           "mymaster",
                           "--sentinel-user",
                           "watcher",
                           "--sentinel-password-file",
                           password.path(),
                           "--read-policy",
                           "Replica",
                           "--read-your-writes",
                           "process",
                           "--health-interval-ms",
                           "250",
                           "--max-replica-lag-bytes",
                           "4mb",
                           "--max-replica-lag-s",
                           "0"});
  const TopologyConfig& t = run.config.topology;
  EXPECT_EQ(t.sentinels, (std::vector<HostPort>{{"127.0.0.1", 26379}, {"127.0.0.1", 26380}}));
  EXPECT_EQ(t.sentinel_master, "mymaster");
  EXPECT_EQ(t.sentinel_user, "watcher");
  EXPECT_EQ(t.sentinel_password, "s3cret");
  EXPECT_EQ(t.read_policy, "replica");  // case-insensitive, stored lower-case
  EXPECT_EQ(t.read_your_writes, "process");
  EXPECT_EQ(t.health_interval_ms, 250u);
  EXPECT_EQ(t.max_replica_lag_bytes, 4ull << 20);
  EXPECT_EQ(t.max_replica_lag_s, 0u);
  EXPECT_FALSE(run.config.backend.address.has_value());
}

TEST_F(TopologyConfigTest, DiscoverAloneNeedsNoBackend) {
  Invocation run = invoke({"--discover", "reader.example.cache.amazonaws.com:6379", "--read-policy",
                           "replica", "--read-your-writes", "client"});
  EXPECT_EQ(run.config.topology.discover, (HostPort{"reader.example.cache.amazonaws.com", 6379}));
  EXPECT_FALSE(run.config.backend.address.has_value());
  EXPECT_EQ(run.config.topology.read_your_writes, "client");
}

TEST_F(TopologyConfigTest, TomlTableSetsEveryKey) {
  Config c = load_toml(
      "[backend]\naddress = \"p:1\"\n"
      "[topology]\nreplicas = [\"r1:2\", \"r2:3\"]\nread_policy = \"any\"\n"
      "health_interval_ms = 100\nmax_replica_lag_bytes = \"512kb\"\nmax_replica_lag_s = 3\n"
      "read_your_writes = \"client\"\noffset_poll_ms = 2\nsentinel_refresh_ms = 5000\n"
      "sentinel_tls = 0\n",
      "t.toml");
  finalize(c);
  EXPECT_EQ(c.topology.replicas, (std::vector<HostPort>{{"r1", 2}, {"r2", 3}}));
  EXPECT_EQ(c.topology.read_policy, "any");
  EXPECT_EQ(c.topology.health_interval_ms, 100u);
  EXPECT_EQ(c.topology.max_replica_lag_bytes, 512u << 10);
  EXPECT_EQ(c.topology.max_replica_lag_s, 3u);
  EXPECT_EQ(c.topology.offset_poll_ms, 2u);
  EXPECT_EQ(c.topology.sentinel_refresh_ms, 5000u);
  EXPECT_EQ(c.topology.sentinel_tls, 0u);
  Config s = load_toml(
      "[topology]\nsentinels = [\"s1:26379\"]\nsentinel_master = \"m\"\n"
      "discover = \"\"\n",
      "t.toml");
  finalize(s);
  EXPECT_EQ(s.topology.sentinels, (std::vector<HostPort>{{"s1", 26379}}));
}

TEST_F(TopologyConfigTest, ReplicaFlagsReplaceTheFilesList) {
  TempFile file("[backend]\naddress = \"p:1\"\n[topology]\nreplicas = [\"r1:2\", \"r2:3\"]\n");
  Invocation run = invoke({"--config", file.path(), "--replica", "r9:9"});
  EXPECT_EQ(run.config.topology.replicas, (std::vector<HostPort>{{"r9", 9}}));
  run = invoke({"--config", file.path()});
  EXPECT_EQ(run.config.topology.replicas.size(), 2u);
  run = invoke({"--config", file.path(), "--replica", ""});  // "" clears the file's list
  EXPECT_TRUE(run.config.topology.replicas.empty());
}

TEST_F(TopologyConfigTest, ListTypeErrorsNameTheKeyAndTheElement) {
  EXPECT_EQ(toml_error("[topology]\nreplicas = \"r1:2\"\n"),
            "test.toml: topology.replicas = \"r1:2\": expected an array of \"host:port\" "
            "strings, e.g. [\"10.0.0.6:6379\", \"10.0.0.7:6379\"], got a string");
  EXPECT_EQ(toml_error("[topology]\nreplicas = [\"r1:2\", 6379]\n"),
            "test.toml: topology.replicas[1] = 6379: expected a string \"host:port\", got an "
            "integer");
  EXPECT_THAT(toml_error("[topology]\nsentinels = [\"s1\"]\n"),
              StartsWith("test.toml: topology.sentinels = \"s1\": missing port"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "p:1", "--replica", "r1"});
              }),
              StartsWith("--replica=r1: missing port"));
}

TEST_F(TopologyConfigTest, ChoicesAreCheckedWithAHint) {
  EXPECT_EQ(error_of([] {
              invoke({"--backend", "p:1", "--read-policy", "prefer_replica"});
            }),
            "--read-policy=prefer_replica: use one of primary, prefer-replica, replica, any, "
            "prefer-local-zone (did you mean prefer-replica?)");
  EXPECT_EQ(toml_error("[topology]\nread_your_writes = \"session\"\n"),
            "test.toml: topology.read_your_writes = \"session\": use one of off, client, process");
  EXPECT_EQ(toml_error("[topology]\nread_your_writes = true\n"),
            "test.toml: topology.read_your_writes = true: expected a string, one of \"off\", "
            "\"client\", \"process\", got a boolean");
  Config config = runnable_config();
  config.topology.read_policy = "nearest";
  EXPECT_THAT(error_of([&] { finalize(config); }),
              StartsWith("topology.read_policy = \"nearest\": use one of primary"));
}

TEST_F(TopologyConfigTest, RangesAreChecked) {
  EXPECT_EQ(error_of([] {
              invoke({"--backend", "p:1", "--health-interval-ms", "10"});
            }),
            "--health-interval-ms=10: must be between 50 and 60000 (milliseconds)");
  EXPECT_EQ(toml_error("[topology]\noffset_poll_ms = 0\n"),
            "test.toml: topology.offset_poll_ms = 0: must be between 1 and 1000 (milliseconds)");
  EXPECT_THAT(toml_error("[topology]\nmax_replica_lag_s = 7200\n"),
              StartsWith("test.toml: topology.max_replica_lag_s = 7200: must be between 0 and "
                         "3600"));
  EXPECT_THAT(toml_error("[topology]\nsentinel_refresh_ms = 10\n"),
              StartsWith("test.toml: topology.sentinel_refresh_ms = 10: must be between 100"));
  Config zero_lag = runnable_config();
  zero_lag.topology.max_replica_lag_bytes = 0;  // no limit
  finalize(zero_lag);
}

TEST_F(TopologyConfigTest, OneSourceAtATime) {
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "p:1", "--discover", "d:2"});
              }),
              StartsWith("topology.discover (--discover) and backend.address (--backend) are "
                         "both set: give one source."));
  EXPECT_THAT(error_of([] {
                invoke({"--discover", "d:2", "--replica", "r:3"});
              }),
              StartsWith("topology.discover (--discover) and topology.replicas (--replica) are "
                         "both set"));
  for (std::vector<std::string> extra :
       {std::vector<std::string>{"--backend", "p:1"}, {"--discover", "d:2"}}) {
    std::vector<std::string> args = {"--sentinel", "s:26379", "--sentinel-master", "m"};
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_THAT(error_of([&] { invoke(args); }),
                StartsWith("Sentinel (topology.sentinels / --sentinel) is set together with"))
        << extra.front();
  }
  EXPECT_THAT(error_of([] {
                invoke({"--replica", "r:3"});
              }),
              StartsWith("topology.replicas (--replica) is set but there is no primary: give "
                         "backend.address (--backend HOST:PORT), or use --discover"));
  EXPECT_THAT(error_of([] { invoke({}); }),
              AllOf(StartsWith("no backend given: pass --backend HOST:PORT"),
                    HasSubstr("--discover HOST:PORT"),
                    HasSubstr("--sentinel HOST:PORT --sentinel-master NAME")));
}

TEST_F(TopologyConfigTest, SentinelsAndTheMasterNameGoTogether) {
  EXPECT_THAT(error_of([] {
                invoke({"--sentinel", "s:26379"});
              }),
              StartsWith("topology.sentinels (--sentinel) needs the master name the sentinels "
                         "monitor: pass --sentinel-master NAME"));
  EXPECT_THAT(error_of([] {
                invoke({"--sentinel-master", "m"});
              }),
              StartsWith("topology.sentinel_master = \"m\" needs the sentinels to ask: add "
                         "--sentinel HOST:PORT"));
  EXPECT_THAT(error_of([] {
                invoke({"--sentinel", "s:26379", "--sentinel-master", "my master"});
              }),
              HasSubstr("a master name has no spaces"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "p:1", "--sentinel-user", "u"});
              }),
              StartsWith("topology.sentinel_user and topology.sentinel_password_file are for "
                         "Sentinel"));
}

TEST_F(TopologyConfigTest, SentinelPasswordComesFromAFileOrTheEnvironmentAndIsNeverShown) {
  {
    ScopedEnv env("FUNNEL_SENTINEL_PASSWORD", "from-env");
    Invocation run = invoke({"--sentinel", "s:26379", "--sentinel-master", "m"});
    EXPECT_EQ(run.config.topology.sentinel_password, "from-env");
    TempFile file("from-file\n");
    run = invoke({"--sentinel", "s:26379", "--sentinel-master", "m", "--sentinel-password-file",
                  file.path()});
    EXPECT_EQ(run.config.topology.sentinel_password, "from-file");  // a file wins
    // Not the source: the variable is left alone (a shell may export it for redis-cli).
    run = invoke({"--backend", "p:1"});
    EXPECT_FALSE(run.config.topology.sentinel_password.has_value());
  }
  TempFile empty("\n");
  EXPECT_THAT(error_of([&] {
                invoke({"--sentinel", "s:26379", "--sentinel-master", "m",
                        "--sentinel-password-file", empty.path()});
              }),
              HasSubstr("topology.sentinel_password_file"));
  EXPECT_THAT(error_of([] {
                invoke({"--sentinel", "s:26379", "--sentinel-master", "m", "--sentinel-user", "u"});
              }),
              HasSubstr("there is no Sentinel password: set topology.sentinel_password_file "
                        "(--sentinel-password-file) or FUNNEL_SENTINEL_PASSWORD"));
  EXPECT_THAT(
      toml_error("[topology]\nsentinel_password = \"hunter2\"\n"),
      AllOf(HasSubstr("topology.sentinel_password is not supported"), Not(HasSubstr("hunter2"))));
}

TEST_F(TopologyConfigTest, AddressesThatCannotBeRightAreRefused) {
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "p:1", "--replica", "p:1"});
              }),
              StartsWith("topology.replicas = \"p:1\" (--replica) is also backend.address "
                         "(--backend), the primary"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "p:1", "--replica", "127.0.0.1:6380"});
              }),
              AllOf(StartsWith("topology.replicas = \"127.0.0.1:6380\" (--replica) is Funnel's "
                               "own server.listen address"),
                    HasSubstr("proxy to itself")));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "p:1", "--replica", "r:2", "--replica", "r:2"});
              }),
              HasSubstr("is listed twice"));
  EXPECT_THAT(error_of([] {
                invoke({"--discover", "127.0.0.1:6380"});
              }),
              StartsWith("topology.discover = \"127.0.0.1:6380\" (--discover) is Funnel's own"));
  EXPECT_THAT(error_of([] {
                invoke({"--sentinel", "127.0.0.1:6380", "--sentinel-master", "m"});
              }),
              HasSubstr("is Funnel's own server.listen address"));
}

TEST_F(TopologyConfigTest, ReplicaPolicyNeedsReplicas) {
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "p:1", "--read-policy", "replica"});
              }),
              StartsWith("topology.read_policy = \"replica\" (--read-policy replica) needs "
                         "replicas"));
  // prefer-replica with one node is harmless: every read falls back to the primary.
  EXPECT_EQ(invoke({"--backend", "p:1", "--read-policy", "prefer-replica"}).action, Action::kRun);
}

TEST_F(TopologyConfigTest, HelpListsTheTopologyFlags) {
  ::testing::internal::CaptureStdout();
  invoke({"--help"});
  std::string text = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(
      text, AllOf(HasSubstr("--replica HOST:PORT"), HasSubstr("--discover HOST:PORT"),
                  HasSubstr("--sentinel HOST:PORT"), HasSubstr("--sentinel-master NAME"),
                  HasSubstr("primary|prefer-replica|replica|any"), HasSubstr("off|client|process"),
                  HasSubstr("FUNNEL_SENTINEL_PASSWORD"), HasSubstr("repeat for each")));
}

TEST_F(TopologyConfigTest, ClusterSeedsRepeatAndStandAlone) {
  Invocation run = invoke({"--cluster", "10.0.0.5:6379", "--cluster", "cfg.example:6379",
                           "--cluster-announce", "10.0.0.9:6380", "--read-policy", "replica"});
  const ClusterConfig& c = run.config.cluster;
  ASSERT_EQ(c.seeds.size(), 2u);
  EXPECT_EQ(c.seeds[1].to_string(), "cfg.example:6379");
  EXPECT_EQ(c.announce->to_string(), "10.0.0.9:6380");
  EXPECT_EQ(c.refresh_ms, 5000u);
  EXPECT_TRUE(c.enabled());
  for (std::vector<std::string> extra : {std::vector<std::string>{"--backend", "p:1"},
                                         {"--discover", "d:2"},
                                         {"--sentinel", "s:26379", "--sentinel-master", "m"}}) {
    std::vector<std::string> args = {"--cluster", "c:7000"};
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_THAT(error_of([&] { invoke(args); }),
                StartsWith("cluster.seeds (--cluster) is set together with"));
  }
  EXPECT_THAT(error_of([] {
                invoke({"--cluster", "c:7000", "--cluster", "c:7000"});
              }),
              HasSubstr("is listed twice"));
  EXPECT_THAT(error_of([] {
                invoke({"--backend", "p:1", "--cluster-announce", "a:1"});
              }),
              StartsWith("cluster.announce (--cluster-announce) is set but cluster.seeds"));
}

}  // namespace
}  // namespace funnel::config
