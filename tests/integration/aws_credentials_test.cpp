// The HTTP credential sources against small fake endpoints on loopback (issue #19, item 3): the
// IMDSv2 session-token handshake, the container endpoint with its authorization token, STS
// AssumeRoleWithWebIdentity, expiry and refresh, and the HTTP client's timeout and size cap.
// The endpoints are plain sockets in a thread of this test; nothing leaves 127.0.0.1.
#include <sys/stat.h>

#include <string>

#include <gtest/gtest.h>

#include "aws/credential_chain.hpp"
#include "aws/fake_aws_endpoint.hpp"
#include "aws/iam_token.hpp"

namespace funnel::aws {
namespace {

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
