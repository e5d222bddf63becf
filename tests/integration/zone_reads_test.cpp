// Availability-zone-local reads (issue #19, docs/topology.md#zone-local-reads) through the funnel
// binary: zones from [[topology.nodes]] on real redis-server replicas, and zones a node reports
// itself (HELLO's availability_zone as Valkey 8.1 answers, INFO server's as Valkey 8.0 and
// MemoryDB do) from a scripted fake replica; the per-zone read counter in /metrics.
#include <gtest/gtest.h>

#include "support/fake_backend.hpp"
#include "support/http_get.hpp"
#include "support/net.hpp"
#include "support/temp_dir.hpp"
#include "topology_support.hpp"

namespace funnel::test {
namespace {

using ZoneReadsTest = TopologyFixture;

// Which of `ports` served the next GET through a fresh connection (-1: none or several).
int server_of_next_read(std::uint16_t funnel_port, const std::vector<std::uint16_t>& ports) {
  std::vector<std::int64_t> before;
  for (std::uint16_t port : ports) before.push_back(command_calls(port, "get"));
  get_on_fresh_connection(funnel_port, "zone:probe");
  int served = -1;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (command_calls(ports[i], "get") == before[i]) continue;
    if (served >= 0) return -1;
    served = static_cast<int>(i);
  }
  return served;
}

std::string metrics_of(std::uint16_t admin_port) {
  return http_get(admin_port, "/metrics").body;
}

TEST_F(ZoneReadsTest, ConfiguredZonesKeepReadsInFunnelsZoneThenUseAnotherZone) {
  start_nodes(2);
  TempDir dir;
  // Replica 0 in Funnel's zone, replica 1 and the primary in another.
  const std::string config = dir.write(
      "funnel.toml", "[[topology.nodes]]\naddress = \"" + backend_arg(replicas_[0]->port()) +
                         "\"\nzone = \"az-b\"\n[[topology.nodes]]\naddress = \"" +
                         backend_arg(replicas_[1]->port()) +
                         "\"\nzone = \"az-a\"\n[[topology.nodes]]\naddress = \"" +
                         backend_arg(primary_->port()) + "\"\nzone = \"az-a\"\n");
  const std::uint16_t admin = free_port();
  start_funnel({"--config", config, "--zone", "az-b", "--read-policy", "prefer-local-zone",
                "--admin", "127.0.0.1:" + std::to_string(admin)});
  const std::vector<std::uint16_t> ports = {replicas_[0]->port(), replicas_[1]->port(),
                                            primary_->port()};
  ASSERT_TRUE(wait_until([&] { return server_of_next_read(funnel_->port(), ports) == 0; }))
      << funnel_->log_text();
  write_keys("zone", 50);
  reset_all_stats();

  RespConnection reader(funnel_->port());
  for (int i = 0; i < 200; ++i) {
    const std::string n = std::to_string(i % 50);
    ASSERT_EQ(reader.command({"GET", "zone:" + n}).str, "value:" + n);
  }
  EXPECT_EQ(command_calls(replicas_[0]->port(), "get"), 200);
  EXPECT_EQ(command_calls(replicas_[1]->port(), "get"), 0) << "a read left Funnel's zone";
  EXPECT_EQ(command_calls(primary_->port(), "get"), 0);
  const std::string metrics = metrics_of(admin);
  EXPECT_NE(metrics.find("funnel_zone_reads_total{zone=\"az-b\",local=\"1\"} "), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("funnel_zone_reads_total{zone=\"az-a\",local=\"0\"} 0"), std::string::npos)
      << metrics;

  // The local replica goes away: reads move to the other zone's replica, not to the primary.
  kill_hard(*replicas_[0]);
  const std::vector<std::uint16_t> left = {replicas_[1]->port(), primary_->port()};
  ASSERT_TRUE(wait_until([&] { return server_of_next_read(funnel_->port(), left) == 0; }))
      << funnel_->log_text();
  reset_all_stats();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(reader.command({"GET", "zone:1"}).str, "value:1");
  }
  EXPECT_EQ(command_calls(replicas_[1]->port(), "get"), 20);
  EXPECT_EQ(command_calls(primary_->port(), "get"), 0);
}

// A scripted replica of `primary_port`, in sync, answering every GET with "fake". `info_zone`,
// when set, is its availability_zone in INFO server (Valkey 8.0, MemoryDB).
FakeBackend::Handler fake_replica(std::uint16_t primary_port, std::string info_zone) {
  const std::string port = std::to_string(primary_port);
  return [port, info_zone](const std::vector<std::string>& args, int) {
    const auto bulk = [](const std::string& text) {
      return FakeBackend::Action::reply("$" + std::to_string(text.size()) + "\r\n" + text + "\r\n");
    };
    std::string name = args[0];
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string section = args.size() > 1 ? args[1] : "";
    if (name == "ROLE") {
      return FakeBackend::Action::reply("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:" + port +
                                        "\r\n$9\r\nconnected\r\n:1099511627776\r\n");
    }
    if (name == "INFO" && section == "server") {
      return bulk("# Server\r\nredis_version:8.0.0\r\n" +
                  (info_zone.empty() ? "" : "availability_zone:" + info_zone + "\r\n"));
    }
    if (name == "INFO" && section == "replication") {
      return bulk("# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:" + port +
                  "\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:0\r\n"
                  "master_sync_in_progress:0\r\n");
    }
    if (name == "INFO") return bulk("# Persistence\r\nloading:0\r\nasync_loading:0\r\n");
    if (name == "GET") return bulk("fake");
    return FakeBackend::Action::default_reply();
  };
}

// A real primary and replica (no zone), and a fake replica that reports Funnel's zone itself.
void reads_go_to_the_replica_that_reports_funnels_zone(const std::string& hello_zone,
                                                       const std::string& info_zone) {
  auto primary = RedisServer::start();
  auto replica = RedisServer::start_replica_of(primary->port());
  FakeBackendOptions options;
  options.answer_handshake = false;  // INFO and ROLE are the fake's own
  options.hello_zone = hello_zone;
  auto fake = FakeBackend::start(fake_replica(primary->port(), info_zone), options);
  auto funnel = FunnelProcess::start(
      {"--backend", backend_arg(primary->port()), "--replica", backend_arg(replica->port()),
       "--replica", backend_arg(fake->port()), "--workers", "2", "--health-interval-ms", "100",
       "--read-policy", "prefer-local-zone", "--zone", "use1-az4", "--deny-commands", ""});
  ASSERT_TRUE(wait_until([&] {
    return get_on_fresh_connection(funnel->port(), "zone:probe").str == "fake";
  })) << funnel->log_text();
  reset_stats(replica->port());
  reset_stats(primary->port());
  RespConnection reader(funnel->port());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(reader.command({"GET", "zone:key"}).str, "fake");
  EXPECT_EQ(command_calls(replica->port(), "get"), 0) << "a read left Funnel's zone";
  EXPECT_EQ(command_calls(primary->port(), "get"), 0);
  EXPECT_EQ(funnel->stop(), 0) << funnel->log_text();
}

TEST(ZoneReportedByTheNode, HelloAvailabilityZone) {
  reads_go_to_the_replica_that_reports_funnels_zone("use1-az4", "");
}

TEST(ZoneReportedByTheNode, InfoServerAvailabilityZone) {
  reads_go_to_the_replica_that_reports_funnels_zone("", "use1-az4");
}

}  // namespace
}  // namespace funnel::test
