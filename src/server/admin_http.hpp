// The admin HTTP listener (Boost.Beast), on its own thread, off the request path: /metrics
// (Prometheus), /healthz, /readyz, /backends and /stats; POST /pause and /resume. Binds to
// 127.0.0.1 by default. Bounded against slow and idle clients by its own connection cap and
// timeouts (admin.* settings), so an admin flood never takes the descriptors or slots Redis clients
// need.
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
  // Answers one request on the admin thread: `post` for POST (operator actions such as
  // /pause and /resume), else GET or HEAD; `path` without the query, `query` after the '?'.
  using Handler =
      std::function<AdminResponse(bool post, const std::string& path, const std::string& query)>;

  // Serves settings.listen (which must be set). With settings.token, every request must carry
  // "Authorization: Bearer <token>" (the scheme in any case) or gets 401 as soon as its header
  // is read, and the connection is closed. Limits: settings.max_connections held at once (more
  // are closed as soon as they are accepted), header_timeout_ms for a request's header,
  // request_timeout_ms for the whole request and its response, idle_timeout_ms between
  // keep-alive requests, max_header_bytes (431 beyond). Requests never have a body.
  AdminHttp(const config::AdminConfig& settings, Handler handler);
  ~AdminHttp();
  // Binds (throws std::runtime_error with a clear message) and starts the thread. With
  // `adopted_fd` (a listening socket a takeover handed over, server/takeover.hpp) it serves on
  // that instead of binding.
  void start(int adopted_fd = -1);
  // The listening socket's descriptor (to hand over); -1 before start(). Any thread.
  int listener_fd() const;
  // Stops accepting (a takeover: the new process accepts on the same socket); connections
  // already open are served until stop(). Thread-safe.
  void close_listener();
  // A configuration reload: the token and the bounds (every admin.* key but listen) for the
  // requests and connections that start from now on. Thread-safe (applied on the admin thread,
  // after the request being answered, which may be the POST /reload itself).
  void reconfigure(const config::AdminConfig& settings);
  void stop();

 private:
  void serve_from_thread();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace funnel::server
