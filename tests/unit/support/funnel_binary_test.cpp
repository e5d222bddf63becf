// Tests of the FunnelProcess fixture with the real funnel binary (built only when the build has
// the funnel target): it starts in front of a FakeBackend, answers, stops cleanly on SIGTERM, and
// refuses to start without a backend (DESIGN section 6).
#include <gtest/gtest.h>

#include "support/fake_backend.hpp"
#include "support/funnel_process.hpp"
#include "support/resp_connection.hpp"

namespace funnel::test {
namespace {

TEST(FunnelBinary, StartsInFrontOfABackendAndStopsOnSigterm) {
  auto backend = FakeBackend::start();
  auto funnel = FunnelProcess::start({"--backend", "127.0.0.1:" + std::to_string(backend->port())});
  RespConnection conn(funnel->port());
  EXPECT_EQ(conn.command({"PING"}).str, "PONG");
  EXPECT_EQ(funnel->stop(SIGTERM), 0) << funnel->log_text();
}

TEST(FunnelBinary, RefusesToStartWithoutABackend) {
  EXPECT_THROW(FunnelProcess::start({}), std::runtime_error);
}

}  // namespace
}  // namespace funnel::test
