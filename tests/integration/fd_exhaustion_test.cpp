// Out of file descriptors (EMFILE) while running: the incident's failure, inside the proxy. Funnel
// raises RLIMIT_NOFILE to what max_clients needs at start, so here the test lowers the running
// process's limit (prlimit) to just above what it holds. Clients past the limit must get Redis's
// "max number of clients reached" (through the reserved descriptor) instead of hanging in the
// accept queue; clients already connected keep working; and once descriptors free up, new
// clients are served again.
#include <dirent.h>
#include <sys/resource.h>

#include <memory>
#include <vector>

#include "harness.hpp"

namespace funnel::test {
namespace {

void set_descriptor_limit(pid_t pid, rlim_t soft) {
  rlimit current{};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, nullptr, &current), 0);
  rlimit lowered{soft, current.rlim_max};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &lowered, nullptr), 0);
}

class FdExhaustionTest : public ProxyFixture {};

TEST_F(FdExhaustionTest, ClientsPastTheLimitGetMaxClientsAndOthersKeepWorking) {
  start({"--workers", "1", "--max-clients", "1000"});
  RespConnection first(funnel_->port());
  ASSERT_EQ(first.command({"SET", "fd:key", "kept"}).str, "OK");

  // Room for a few more client sockets (the exact count depends on what the process holds
  // besides; the test only needs some to be served and the rest refused).
  const std::size_t held = open_descriptors(funnel_->pid());
  ASSERT_GT(held, 0u);
  set_descriptor_limit(funnel_->pid(), held + 3);

  std::vector<std::unique_ptr<RespConnection>> served;
  int refused = 0;
  for (int i = 0; i < 12 && refused < 3; ++i) {
    auto client = std::make_unique<RespConnection>(funnel_->port());
    const resp::Value reply = client->command({"PING"});
    if (reply.str == "PONG") {
      ASSERT_EQ(refused, 0) << "a client was served after one was refused, with nothing freed";
      served.push_back(std::move(client));
      continue;
    }
    // No descriptor left: accepted on the reserved one, told in Redis's words, closed.
    EXPECT_EQ(reply.str, "ERR max number of clients reached") << "client " << i;
    EXPECT_TRUE(client->closed_by_peer());
    ++refused;
  }
  ASSERT_GE(served.size(), 1u);
  ASSERT_EQ(refused, 3);
  // Clients already in are unaffected, backend round trips included.
  EXPECT_EQ(first.command({"GET", "fd:key"}).str, "kept");
  for (auto& client : served) EXPECT_EQ(client->command({"PING"}).str, "PONG");

  // Descriptors come back: a new client is served again.
  served.clear();
  EXPECT_TRUE(wait_until([&] {
    RespConnection again(funnel_->port());
    return again.command({"GET", "fd:key"}).str == "kept";
  }));
  EXPECT_NE(funnel_->log_text().find("out of file descriptors"), std::string::npos);
}

}  // namespace
}  // namespace funnel::test
