// The HTTP credential sources against small fake endpoints on loopback (issue #19, item 3): the
// IMDSv2 session-token handshake, the container endpoint with its authorization token, STS
// AssumeRoleWithWebIdentity, expiry and refresh, and the HTTP client's timeout and size cap.
// The endpoints are plain sockets in a thread of this test; nothing leaves 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "aws/credential_chain.hpp"
#include "aws/iam_token.hpp"

namespace funnel::aws {
namespace {

struct Seen {
  std::string method, path, body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

struct Answer {
  int status = 200;
  std::string body{};
  bool hang = false;  // accept, read, never answer
};

// A one-request-per-connection HTTP/1.1 endpoint on 127.0.0.1 with a routing function.
class FakeEndpoint {
 public:
  explicit FakeEndpoint(std::function<Answer(const Seen&)> route) : route_(std::move(route)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_, 16), 0);
    socklen_t size = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeEndpoint() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
    for (int fd : hung_) ::close(fd);
  }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void serve() {
    while (!stopping_) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      Seen request;
      if (!read_request(fd, request)) {
        ::close(fd);
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(request);
      }
      const Answer answer = route_(request);
      if (answer.hang) {
        hung_.push_back(fd);
        continue;
      }
      const std::string reply = "HTTP/1.1 " + std::to_string(answer.status) +
                                " X\r\nContent-Length: " + std::to_string(answer.body.size()) +
                                "\r\nConnection: close\r\n\r\n" + answer.body;
      (void)!::write(fd, reply.data(), reply.size());
      ::close(fd);
    }
  }
  static bool read_request(int fd, Seen& out) {
    std::string data;
    char buffer[4096];
    std::size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) return false;
      data.append(buffer, static_cast<std::size_t>(n));
      header_end = data.find("\r\n\r\n");
    }
    std::size_t line_end = data.find("\r\n");
    const std::string first = data.substr(0, line_end);
    out.method = first.substr(0, first.find(' '));
    out.path = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
    std::size_t length = 0;
    for (std::size_t at = line_end + 2; at < header_end;) {
      const std::size_t end = data.find("\r\n", at);
      const std::string line = data.substr(at, end - at);
      std::string name = line.substr(0, line.find(':'));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(line.find(':') + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") length = std::stoul(value);
      out.headers[name] = value;
      at = end + 2;
    }
    out.body = data.substr(header_end + 4);
    while (out.body.size() < length) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) return false;
      out.body.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  std::function<Answer(const Seen&)> route_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
  std::vector<int> hung_;  // serve thread only
};

// The real HTTP client and files, a table for the environment and the clock.
struct World {
  std::map<std::string, std::string> env;
  Clock::time_point now = *parse_iso8601("2026-01-02T03:00:00Z");
  ChainEnvironment environment() {
    ChainEnvironment e = ChainEnvironment::system();
    e.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto found = env.find(name);
      if (found == env.end()) return std::nullopt;
      return found->second;
    };
    e.now = [this] { return now; };
    return e;
  }
};

std::string credentials_json(const std::string& key_id, const std::string& expiration) {
  return R"({"Code":"Success","AccessKeyId":")" + key_id +
         R"(","SecretAccessKey":"secret","Token":"session","Expiration":")" + expiration + R"("})";
}

TEST(AwsCredentialSources, InstanceMetadataV2ExpiryAndRefresh) {
  std::atomic<int> generation{1};
  FakeEndpoint imds([&](const Seen& request) -> Answer {
    const std::string session = "imds-session-" + std::to_string(generation.load());
    if (request.method == "PUT" && request.path == "/latest/api/token") {
      if (request.headers.count("x-aws-ec2-metadata-token-ttl-seconds") == 0) return {400, ""};
      return {200, session};
    }
    // IMDSv2 only: a GET without the session token is refused, as on an instance that
    // requires tokens (HttpTokens=required).
    auto token = request.headers.find("x-aws-ec2-metadata-token");
    if (token == request.headers.end() || token->second != session) return {401, ""};
    if (request.path == "/latest/meta-data/iam/security-credentials/") return {200, "funnel-role"};
    if (request.path == "/latest/meta-data/iam/security-credentials/funnel-role") {
      return generation == 1 ? Answer{200, credentials_json("ASIAONE", "2026-01-02T09:00:00Z")}
                             : Answer{200, credentials_json("ASIATWO", "2026-01-02T15:00:00Z")};
    }
    return {404, ""};
  });
  World world;
  world.env = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url("/")}};
  CredentialCache cache(world.environment());
  EXPECT_EQ(cache.get().access_key_id, "ASIAONE");
  EXPECT_EQ(cache.get().source, "instance metadata");
  ASSERT_EQ(imds.seen().size(), 3u);
  EXPECT_EQ(imds.seen()[0].method, "PUT");
  EXPECT_EQ(imds.seen()[1].headers.at("x-aws-ec2-metadata-token"), "imds-session-1");
  // Still valid for more than the margin: no request.
  world.now = *parse_iso8601("2026-01-02T08:49:00Z");
  EXPECT_EQ(cache.get().access_key_id, "ASIAONE");
  EXPECT_EQ(imds.seen().size(), 3u);
  // Within 10 minutes of expiry: a new session token, new credentials.
  generation = 2;
  world.now = *parse_iso8601("2026-01-02T08:51:00Z");
  EXPECT_EQ(cache.get().access_key_id, "ASIATWO");
  ASSERT_EQ(imds.seen().size(), 6u);
  EXPECT_EQ(imds.seen()[4].headers.at("x-aws-ec2-metadata-token"), "imds-session-2");
}

TEST(AwsCredentialSources, ContainerEndpointSendsTheAuthorizationToken) {
  FakeEndpoint container([](const Seen& request) -> Answer {
    auto auth = request.headers.find("authorization");
    if (auth == request.headers.end() || auth->second != "pod-identity-token") return {401, ""};
    return {200, credentials_json("ASIACONTAINER", "2026-01-02T04:00:00Z")};
  });
  char path[] = "/tmp/funnel-aws-token-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  (void)!::write(fd, "pod-identity-token\n", 19);
  ::close(fd);
  World world;
  world.env = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url("/v1/credentials")},
               {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path}};
  const Credentials found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "ASIACONTAINER");
  EXPECT_EQ(container.seen().at(0).path, "/v1/credentials");
  // A wrong token: the endpoint's 401 is an error naming the endpoint, not a fall-through.
  world.env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = "";
  world.env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong";
  try {
    resolve_credentials(world.environment());
    ADD_FAILURE();
  } catch (const CredentialError& error) {
    EXPECT_NE(std::string(error.what()).find("HTTP 401"), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).find("wrong"), std::string::npos);
  }
  ::unlink(path);
}

TEST(AwsCredentialSources, WebIdentityThroughSts) {
  FakeEndpoint sts([](const Seen& request) -> Answer {
    if (request.method != "POST" ||
        request.body.find("Action=AssumeRoleWithWebIdentity") == std::string::npos ||
        request.body.find("WebIdentityToken=jwt.from.file") == std::string::npos) {
      return {400,
              "<ErrorResponse><Error><Code>Bad</Code><Message>m</Message></Error></ErrorResponse>"};
    }
    return {200,
            "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
            "<AccessKeyId>ASIASTS</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
            "<SessionToken>t</SessionToken><Expiration>2026-01-02T04:00:00Z</Expiration>"
            "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"};
  });
  char path[] = "/tmp/funnel-aws-jwt-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  (void)!::write(fd, "jwt.from.file", 13);
  ::close(fd);
  World world;
  world.env = {{"AWS_WEB_IDENTITY_TOKEN_FILE", path},
               {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/funnel"},
               {"AWS_ENDPOINT_URL_STS", sts.url("/")}};
  const Credentials found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "ASIASTS");
  EXPECT_EQ(found.expiry, parse_iso8601("2026-01-02T04:00:00Z"));
  EXPECT_EQ(sts.seen().at(0).headers.at("content-type"),
            "application/x-www-form-urlencoded; charset=utf-8");
  ::unlink(path);
}

TEST(AwsCredentialSources, HttpClientTimesOutAndCapsBodies) {
  FakeEndpoint silent([](const Seen&) { return Answer{.hang = true}; });
  const auto start = std::chrono::steady_clock::now();
  HttpResponse response =
      http_request({.url = silent.url("/"), .timeout = std::chrono::milliseconds(300)});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error, "");
  EXPECT_LT(took, std::chrono::seconds(3));
  FakeEndpoint huge([](const Seen&) { return Answer{200, std::string(kMaxBody + 1, 'x')}; });
  response = http_request({.url = huge.url("/")});
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("read"), std::string::npos) << response.error;
  // Nothing listens: a connect error naming the address.
  response = http_request({.url = "http://127.0.0.1:1/"});
  EXPECT_NE(response.error.find("connect 127.0.0.1:1"), std::string::npos) << response.error;
}

}  // namespace
}  // namespace funnel::aws
