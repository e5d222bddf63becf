// Tests of the FunnelProcess fixture (tests/support) with a stand-in binary (a shell script that
// serves redis-server on the --listen port), so the fixture is tested without the real proxy.
#include "support/funnel_process.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/net.hpp"
#include "support/resp_connection.hpp"
#include "support/temp_dir.hpp"

namespace funnel::test {
namespace {

// --fail: prints a message and exits 3, like funnel refusing its configuration.
constexpr char kStandIn[] = R"sh(#!/bin/sh
# Stand-in for funnel in fixture tests: serves redis-server on the --listen port.
port=""
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) port="${2##*:}"; shift ;;
    --listen=*) port="${1##*:}" ;;
    --fail) echo "stand-in: no backend given; use --backend HOST:PORT" >&2; exit 3 ;;
  esac
  shift
done
exec redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$(dirname "$0")"
)sh";

class FunnelProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(stand_in_) << kStandIn;
    ::chmod(stand_in_.c_str(), 0755);
  }
  TempDir dir_;
  std::string stand_in_ = dir_.file("stand-in.sh");
};

TEST_F(FunnelProcessTest, StartsOnAFreePortAndStops) {
  auto funnel = FunnelProcess::start_binary(stand_in_, {"--backend", "127.0.0.1:1"});
  EXPECT_NE(funnel->port(), 0);
  EXPECT_EQ(funnel->args().back(), "127.0.0.1:" + std::to_string(funnel->port()));
  EXPECT_TRUE(funnel->alive());
  RespConnection conn(funnel->port());
  EXPECT_EQ(conn.command({"PING"}).str, "PONG");
  EXPECT_EQ(funnel->stop(), 0);
  EXPECT_FALSE(funnel->alive());
  EXPECT_EQ(funnel->stop(), 0) << "a second stop returns the same status";
  EXPECT_FALSE(port_accepts(funnel->port()));
  EXPECT_NE(funnel->log_text().find("Ready to accept connections"), std::string::npos);
}

TEST_F(FunnelProcessTest, UsesTheListenPortGiven) {
  std::uint16_t port = free_port();
  auto funnel =
      FunnelProcess::start_binary(stand_in_, {"--listen", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(funnel->port(), port);
  auto other =
      FunnelProcess::start_binary(stand_in_, {"--listen=127.0.0.1:" + std::to_string(free_port())});
  EXPECT_NE(other->port(), port);
  EXPECT_TRUE(port_accepts(other->port()));
}

TEST_F(FunnelProcessTest, EarlyExitFailsWithItsOutput) {
  try {
    FunnelProcess::start_binary(stand_in_, {"--fail"});
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("exited with status 3"), std::string::npos) << what;
    EXPECT_NE(what.find("use --backend HOST:PORT"), std::string::npos) << what;
  }
}

TEST_F(FunnelProcessTest, StopReportsTheSignal) {
  auto funnel = FunnelProcess::start_binary(stand_in_, {});
  EXPECT_EQ(funnel->stop(SIGKILL), 128 + SIGKILL);
}

TEST_F(FunnelProcessTest, MissingBinaryIsAClearError) {
  EXPECT_THROW(FunnelProcess::start_binary(dir_.file("no-such-binary"), {}), std::runtime_error);
}

}  // namespace
}  // namespace funnel::test
