// Issue #14's soak: every hostile client of the issue at once (tests/integration/hostile_crowd.*),
// for about a minute, beside 200 well-behaved clients that check every value they read. The
// well-behaved clients must see no error and no wrong value; Funnel's RSS stays under a stated
// bound; its descriptors, clients and buffer counter return to their idle values afterwards.
// FUNNEL_SOAK_SECONDS overrides the duration (60 s; 15 s at reduced scale).
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "harness.hpp"
#include "hostile_crowd.hpp"
#include "load_clients.hpp"
#include "support/http_get.hpp"

namespace funnel::test {
namespace {

constexpr const char* kPassword = "soak-Client-Secret-3b1d";
constexpr const char* kAdminToken = "soak-Admin-Token-77e0";
constexpr std::size_t kBigValueBytes = 4 << 20;
// What Funnel may hold while under attack. The slow readers may each hold up to the output hard
// limit set below (8 x 16 MB), the well-behaved clients and the rest little; the rest is the
// process's own baseline. Measured peaks are in docs/security.md.
constexpr std::uint64_t kRssBoundBytes = 400ull << 20;

std::chrono::seconds soak_duration() {
  if (const char* text = std::getenv("FUNNEL_SOAK_SECONDS")) {
    return std::chrono::seconds(std::stoi(text));
  }
  return std::chrono::seconds(reduced_scale() ? 15 : 60);
}

class HostileSoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::start();
    RespConnection direct(redis_->port());
    direct.command({"SET", "soak:big", std::string(kBigValueBytes, 'b')});
    std::ofstream(dir_.file("client.pass")) << kPassword << "\n";
    std::ofstream(dir_.file("admin.token")) << kAdminToken << "\n";
    // Small output limits so that the slow readers' share of memory is easy to bound.
    std::ofstream(dir_.file("funnel.toml"))
        << "[limits]\nclient_output_hard_bytes = 16777216\nclient_output_soft_bytes = 1048576\n";
    funnel_ = retry_with_free_port([&](std::uint16_t admin) -> std::unique_ptr<FunnelProcess> {
      admin_port_ = admin;
      try {
        return FunnelProcess::start({"--config", dir_.file("funnel.toml"), "--backend",
                                     backend_arg(redis_->port()), "--workers", "2", "--max-clients",
                                     "2000", "--requirepass-file", dir_.file("client.pass"),
                                     "--admin", "127.0.0.1:" + std::to_string(admin),
                                     "--admin-token-file", dir_.file("admin.token")});
      } catch (const std::exception&) {
        return nullptr;  // most likely the admin port was taken meanwhile: try another
      }
    });
    ASSERT_NE(funnel_, nullptr);
  }
  void TearDown() override {
    if (funnel_) {
      EXPECT_EQ(funnel_->stop(), 0) << funnel_->log_text();
    }
  }

  TempDir dir_{"funnel-soak"};
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<FunnelProcess> funnel_;
  std::uint16_t admin_port_ = 0;
};

TEST_F(HostileSoakTest, WellBehavedClientsNoticeNothingAndEverythingReturnsToIdle) {
  RespConnection info(funnel_->port());
  ASSERT_EQ(info.command({"AUTH", kPassword}).str, "OK");
  // Idle: this connection is the only client (the start-up probe has come and gone).
  ASSERT_TRUE(wait_until([&] { return funnel_info(info, "funnel_connected_clients") == 1; }));
  const std::size_t idle_descriptors = open_descriptors(funnel_->pid());
  const std::string idle_listing = describe_descriptors(funnel_->pid());
  const std::int64_t idle_buffers = funnel_info(info, "funnel_client_buffer_bytes");
  const std::uint64_t idle_rss = rss_bytes(funnel_->pid());

  HostileCrowd crowd({funnel_->port(), admin_port_, kPassword, "soak:big", "soak:readonly"});
  crowd.start();
  LoadOptions options;
  options.port = funnel_->port();
  options.clients = 200;
  options.pipeline = 8;
  options.password = kPassword;
  options.run_for = soak_duration();
  options.deadline = soak_duration() + std::chrono::seconds(60);
  options.key_prefix = "soak";
  auto load = std::async(std::launch::async, [&] { return run_load(options); });
  std::uint64_t peak_rss = 0;
  while (load.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    peak_rss = std::max(peak_rss, rss_bytes(funnel_->pid()));
  }
  const LoadResult result = load.get();
  crowd.stop();
  const std::string report =
      fmt::format("well-behaved: {}\nattacks:\n{}RSS idle {} MB, peak {} MB", result.summary(),
                  crowd.summary(), idle_rss >> 20, peak_rss >> 20);
  std::cout << report << "\n";

  EXPECT_EQ(result.mismatches, 0u) << report;
  EXPECT_EQ(result.error_replies, 0u) << report;
  EXPECT_EQ(result.dropped_connections, 0u) << report;
  EXPECT_EQ(result.connect_failures, 0u) << report;
  EXPECT_FALSE(result.timed_out) << report;
  EXPECT_GT(result.ok_replies, 0u) << report;
  EXPECT_EQ(crowd.anomalies(), 0u) << report;
  EXPECT_LT(peak_rss, kRssBoundBytes) << report;
  // The fake-READONLY script ran once per call: never retried.
  RespConnection direct(redis_->port());
  EXPECT_EQ(direct.command({"GET", "soak:readonly"}).str,
            std::to_string(crowd.readonly_script_runs()))
      << report;
  // Everything the attackers held is given back.
  EXPECT_TRUE(wait_until([&] { return funnel_info(info, "funnel_connected_clients") == 1; }, 30s))
      << funnel_info(info, "funnel_connected_clients") << " clients still connected\n"
      << report;
  EXPECT_TRUE(wait_until([&] { return open_descriptors(funnel_->pid()) == idle_descriptors; }, 30s))
      << open_descriptors(funnel_->pid()) << " descriptors open, " << idle_descriptors
      << " when idle (idle: " << idle_listing << ")\nnow: " << describe_descriptors(funnel_->pid())
      << "\n"
      << report;
  EXPECT_TRUE(wait_until(
      [&] { return funnel_info(info, "funnel_client_buffer_bytes") == idle_buffers; }, 30s))
      << funnel_info(info, "funnel_client_buffer_bytes") << " buffer bytes, " << idle_buffers
      << " when idle\n"
      << report;
  // The admin listener still answers its operator.
  const HttpReply metrics = http_get(admin_port_, "/metrics",
                                     std::string("Authorization: Bearer ") + kAdminToken + "\r\n");
  EXPECT_EQ(metrics.status, 200) << report;
}

}  // namespace
}  // namespace funnel::test
