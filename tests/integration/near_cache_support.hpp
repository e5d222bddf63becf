// Helpers shared by the near cache's integration tests (near_cache_test.cpp,
// near_cache_exact_test.cpp): backend command counts, metrics, the tracking link's id, and a
// fixture that starts Funnel with the near cache and waits for its tracking link.
#pragma once

#include <string>
#include <vector>

#include "harness.hpp"
#include "support/http_get.hpp"

namespace funnel::test {

inline long long backend_calls(std::uint16_t redis_port, const std::string& command) {
  RespConnection direct(redis_port);
  const std::string stats = direct.command({"INFO", "commandstats"}).str;
  const std::string field = "cmdstat_" + command + ":calls=";
  const std::size_t at = stats.find(field);
  return at == std::string::npos ? 0 : std::stoll(stats.substr(at + field.size()));
}

inline long long metric(std::uint16_t admin_port, const std::string& name) {
  const HttpReply reply = http_get(admin_port, "/metrics");
  std::size_t at = reply.body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  at = reply.body.find(' ', at + 1);
  return std::stoll(reply.body.substr(at + 1));
}

// The id of Funnel's tracking link on the backend, or "" while there is none.
inline std::string tracking_link_id(std::uint16_t redis_port) {
  RespConnection direct(redis_port);
  const std::string list = direct.command({"CLIENT", "LIST"}).str;
  const std::size_t at = list.find("name=funnel:tracking ");
  if (at == std::string::npos) return "";
  const std::size_t line = list.rfind("id=", at);
  return list.substr(line + 3, list.find(' ', line) - line - 3);
}

class NearCacheTest : public ProxyFixture {
 protected:
  void start_cached(std::vector<std::string> args = {}) {
    admin_port_ = free_port();
    args.insert(args.end(), {"--admin", "127.0.0.1:" + std::to_string(admin_port_)});
    start(args);
    // Cached reads are served only once the tracking link is subscribed.
    ASSERT_TRUE(wait_until([&] { return !tracking_link_id(redis_->port()).empty(); }));
  }
  // Reads `key` until a read is answered from the cache (no GET reaches the backend).
  bool cached(RespConnection& client, const std::string& key) {
    return wait_until([&] {
      const long long before = backend_calls(redis_->port(), "get");
      client.command({"GET", key});
      return backend_calls(redis_->port(), "get") == before;
    });
  }
  std::uint16_t admin_port_ = 0;
};

}  // namespace funnel::test
