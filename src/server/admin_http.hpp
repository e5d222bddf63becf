// The admin HTTP listener (Boost.Beast), on its own thread, off the request path: /metrics
// (Prometheus), /healthz, /readyz, /backends and /stats. Binds to 127.0.0.1 by default.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "config/config.hpp"

namespace funnel::server {

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class AdminHttp {
 public:
  // Answers one GET for a path; called on the admin thread.
  using Handler = std::function<AdminResponse(const std::string& path)>;

  // With a token, every request must carry "Authorization: Bearer <token>" or gets 401.
  AdminHttp(const config::HostPort& listen, Handler handler,
            std::optional<std::string> token = std::nullopt);
  ~AdminHttp();
  // Binds (throws std::runtime_error with a clear message) and starts the thread.
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace funnel::server
