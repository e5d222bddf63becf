// A small synchronous HTTP(S) client for the credential sources (IMDS, the container endpoint,
// STS). Control thread only, never on a worker: each call runs its own event loop to completion
// within the timeout. Bodies are capped (kMaxBody) so a misbehaving endpoint cannot make Funnel
// buffer without bound.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace funnel::aws {

struct HttpRequest {
  std::string method = "GET";
  std::string url{};  // http://host[:port]/path or https://...
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  std::chrono::milliseconds timeout{1000};
};

struct HttpResponse {
  int status = 0;  // 0: no response (error says why)
  std::string body{};
  std::string error{};  // empty on a response of any status; never contains header values
};

inline constexpr std::size_t kMaxBody = 64 * 1024;

HttpResponse http_request(const HttpRequest& request);

// Splits "http://host:port/path?q" into its parts; false when it is not an http(s) URL.
struct UrlParts {
  bool tls = false;
  std::string host{};
  std::string port{};
  std::string target{};  // path and query, at least "/"
};
bool split_url(std::string_view url, UrlParts& parts);

}  // namespace funnel::aws
