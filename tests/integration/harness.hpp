// Shared set-up for integration tests: a redis-server with Funnel in front of it, and small
// helpers to talk to both. Every process is started on free loopback ports and stopped by PID.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/child_process.hpp"
#include "support/funnel_process.hpp"
#include "support/net.hpp"
#include "support/process_stats.hpp"
#include "support/redis_server.hpp"
#include "support/resp_connection.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace funnel::test {

// FUNNEL_TEST_SCALE=reduced (asan stage) shrinks client counts where scale is not the point.
inline bool reduced_scale() {
  const char* scale = std::getenv("FUNNEL_TEST_SCALE");
  return scale != nullptr && std::string(scale) == "reduced";
}

inline std::string backend_arg(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

// Names of the backend's clients that Funnel opened (CLIENT SETNAME "funnel:...").
inline std::vector<std::string> funnel_link_names(std::uint16_t redis_port) {
  RespConnection direct(redis_port);
  const resp::Value list = direct.command({"CLIENT", "LIST"});
  std::vector<std::string> names;
  const std::string text = list.str;
  std::size_t pos = 0;
  while ((pos = text.find("name=funnel:", pos)) != std::string::npos) {
    const std::size_t end = text.find(' ', pos);
    names.push_back(text.substr(pos + 5, end - pos - 5));
    pos = end;
  }
  return names;
}

inline std::size_t count_prefix(const std::vector<std::string>& names, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& name : names) n += name.rfind(prefix, 0) == 0;
  return n;
}

// True once the fake backend has received a request whose first argument is `command` (the
// fake also records Funnel's own handshakes and COMMAND, so counting requests is not enough).
template <typename Backend>
bool backend_saw(const Backend& backend, const std::string& command) {
  return wait_until([&] {
    for (const auto& request : backend.requests()) {
      if (!request.args.empty() && request.args[0] == command) return true;
    }
    return false;
  });
}

// A number from INFO's "# Funnel" section (funnel_connected_clients, funnel_client_buffer_bytes,
// ...), asked on `control`, an authenticated connection to Funnel. Throws if it is missing.
inline long long funnel_info(RespConnection& control, const std::string& field) {
  const std::string info = control.command({"INFO", "funnel"}).str;
  const std::size_t at = info.find(field + ":");
  if (at == std::string::npos) throw std::runtime_error("no " + field + " in INFO:\n" + info);
  return std::stoll(info.substr(at + field.size() + 1));
}

class ProxyFixture : public ::testing::Test {
 protected:
  void start(std::vector<std::string> funnel_args = {}) {
    redis_ = RedisServer::start();
    funnel_args.insert(funnel_args.begin(), {"--backend", backend_arg(redis_->port())});
    funnel_ = FunnelProcess::start(funnel_args);
  }
  void TearDown() override {
    if (funnel_) {
      const int status = funnel_->stop();
      EXPECT_EQ(status, 0) << "funnel did not exit cleanly; its log:\n" << funnel_->log_text();
    }
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<FunnelProcess> funnel_;
};

}  // namespace funnel::test
