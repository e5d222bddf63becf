// A redis-server and a Funnel with a token-protected admin listener, for the tests that drive
// FUNNEL PAUSE / RESUME through it and read /metrics (funnel_pause_test, pinned_hold_test).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "support/http_get.hpp"

namespace funnel::test {

class AdminFixture : public ::testing::Test {
 protected:
  static constexpr const char* kToken = "admin-fixture-token";

  void start(std::vector<std::string> redis_args = {}, std::vector<std::string> extra = {}) {
    redis_ = RedisServer::start(std::move(redis_args));
    admin_port_ = free_port();
    std::vector<std::string> args = {"--backend",
                                     backend_arg(redis_->port()),
                                     "--admin",
                                     "127.0.0.1:" + std::to_string(admin_port_),
                                     "--admin-token-file",
                                     dir_.write("admin.token", kToken)};
    args.insert(args.end(), extra.begin(), extra.end());
    funnel_ = FunnelProcess::start(args);
    // The admin listener opens just after the client one that FunnelProcess waits for.
    ASSERT_TRUE(wait_until([&] { return metric("funnel_paused") == 0; }));
  }
  static std::string bearer() { return std::string("Authorization: Bearer ") + kToken + "\r\n"; }
  // A metric's value from /metrics (a family without labels); -1 when absent.
  long long metric(const std::string& name) const {
    const HttpReply reply = http_get(admin_port_, "/metrics", bearer());
    const std::size_t at = reply.body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(reply.body.substr(at + name.size() + 2));
  }
  HttpReply post(const std::string& path, bool with_token = true) const {
    return http_request(admin_port_, "POST", path, with_token ? bearer() : "");
  }

  TempDir dir_{"funnel-admin-fixture"};
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<FunnelProcess> funnel_;
  std::uint16_t admin_port_ = 0;
};

}  // namespace funnel::test
