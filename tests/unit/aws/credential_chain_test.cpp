// The chain's order and the request each HTTP source sends, with the environment, the files and
// HTTP replaced by tables (no sockets; tests/integration/aws covers the real HTTP client).
#include "aws/credential_chain.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "aws/iam_token.hpp"

namespace funnel::aws {
namespace {

using ::testing::HasSubstr;

struct FakeWorld {
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;
  // "METHOD url" -> response
  std::map<std::string, HttpResponse> http;
  std::vector<HttpRequest> sent;
  Clock::time_point now = *parse_iso8601("2026-01-02T03:00:00Z");

  ChainEnvironment environment() {
    ChainEnvironment e;
    e.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto found = env.find(name);
      if (found == env.end()) return std::nullopt;
      return found->second;
    };
    e.read_file = [this](const std::string& path) -> std::optional<std::string> {
      auto found = files.find(path);
      if (found == files.end()) return std::nullopt;
      return found->second;
    };
    e.http = [this](const HttpRequest& request) {
      sent.push_back(request);
      auto found = http.find(request.method + " " + request.url);
      return found == http.end() ? HttpResponse{.error = "connect: refused"} : found->second;
    };
    e.now = [this] { return now; };
    return e;
  }
};

std::string header(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "<none>";
}

const char* kJson =
    R"({"AccessKeyId":"ASIAMETA","SecretAccessKey":"s","Token":"t","Expiration":"2026-01-02T09:00:00Z"})";

TEST(CredentialChain, EnvironmentComesFirst) {
  FakeWorld world;
  world.env = {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
               {"AWS_SECRET_ACCESS_KEY", "s"},
               {"AWS_SESSION_TOKEN", "tok"},
               {"HOME", "/h"}};
  world.files["/h/.aws/credentials"] =
      "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=x\n";
  const Credentials found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "AKIDENV");
  EXPECT_EQ(found.session_token, "tok");
  EXPECT_EQ(found.source, "environment");
  EXPECT_TRUE(world.sent.empty());
}

TEST(CredentialChain, HalfTheEnvironmentPairIsAnError) {
  FakeWorld world;
  world.env = {{"AWS_ACCESS_KEY_ID", "AKIDENV"}};
  EXPECT_THROW(resolve_credentials(world.environment()), CredentialError);
}

TEST(CredentialChain, ProfilesFromBothFiles) {
  FakeWorld world;
  world.env = {{"AWS_SHARED_CREDENTIALS_FILE", "/c"}, {"AWS_CONFIG_FILE", "/f"}};
  world.files["/c"] = "[default]\naws_access_key_id=AKIDC\naws_secret_access_key=x\n";
  world.files["/f"] =
      "[default]\naws_access_key_id=AKIDF1\naws_secret_access_key=x\n"
      "[profile dev]\naws_access_key_id=AKIDF2\naws_secret_access_key=x\n";
  EXPECT_EQ(resolve_credentials(world.environment()).access_key_id,
            "AKIDC");  // credentials file first
  world.env["AWS_PROFILE"] = "dev";
  auto found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "AKIDF2");
  EXPECT_EQ(found.source, "config file");
  world.env["AWS_PROFILE"] = "missing";
  world.env["AWS_EC2_METADATA_DISABLED"] = "true";
  try {
    resolve_credentials(world.environment());
    ADD_FAILURE() << "no credentials should throw";
  } catch (const CredentialError& error) {
    EXPECT_THAT(error.what(), HasSubstr("profile missing"));
  }
}

TEST(CredentialChain, AssumeRoleProfilesAreRefusedClearly) {
  FakeWorld world;
  world.env = {{"AWS_CONFIG_FILE", "/f"}, {"AWS_PROFILE", "r"}};
  world.files["/f"] = "[profile r]\nrole_arn=arn:aws:iam::1:role/x\nsource_profile=default\n";
  try {
    resolve_credentials(world.environment());
    ADD_FAILURE();
  } catch (const CredentialError& error) {
    EXPECT_THAT(error.what(), HasSubstr("not supported yet"));
  }
}

TEST(CredentialChain, WebIdentityCallsSts) {
  FakeWorld world;
  world.env = {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/token"},
               {"AWS_ROLE_ARN", "arn:aws:iam::123:role/funnel"},
               {"AWS_ROLE_SESSION_NAME", "s1"},
               {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/"}};
  world.files["/token"] = "eyJhbGc.payload.sig\n";
  world.http["POST http://127.0.0.1:9/"] = {
      .status = 200,
      .body =
          "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
          "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
          "<SessionToken>t</SessionToken><Expiration>2026-01-02T04:00:00Z</Expiration>"
          "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"};
  const Credentials found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "ASIAWEB");
  EXPECT_EQ(found.source, "web identity");
  ASSERT_EQ(world.sent.size(), 1u);
  EXPECT_EQ(world.sent[0].body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123"
            "%3Arole%2Ffunnel&RoleSessionName=s1&WebIdentityToken=eyJhbGc.payload.sig");
  // The regional endpoint without the override.
  world.env.erase("AWS_ENDPOINT_URL_STS");
  world.env["AWS_REGION"] = "eu-west-1";
  EXPECT_THROW(resolve_credentials(world.environment()), CredentialError);
  EXPECT_EQ(world.sent.back().url, "https://sts.eu-west-1.amazonaws.com/");
}

TEST(CredentialChain, WebIdentityErrorsNameTheSource) {
  FakeWorld world;
  world.env = {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/token"},
               {"AWS_ROLE_ARN", "arn"},
               {"AWS_ENDPOINT_URL_STS", "http://sts/"}};
  try {
    resolve_credentials(world.environment());
    ADD_FAILURE();
  } catch (const CredentialError& error) {
    EXPECT_THAT(error.what(), HasSubstr("cannot read the token file /token"));
  }
  world.files["/token"] = "secret-jwt";
  world.http["POST http://sts/"] = {
      .status = 400,
      .body =
          "<ErrorResponse><Error><Code>ExpiredTokenException</Code><Message>m</Message>"
          "</Error></ErrorResponse>"};
  try {
    resolve_credentials(world.environment());
    ADD_FAILURE();
  } catch (const CredentialError& error) {
    EXPECT_THAT(error.what(), HasSubstr("HTTP 400: STS refused: ExpiredTokenException"));
    EXPECT_THAT(error.what(), ::testing::Not(HasSubstr("secret-jwt")));
  }
}

TEST(CredentialChain, ContainerEndpointWithAuthorization) {
  FakeWorld world;
  world.env = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"},
               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-env"}};
  world.http["GET http://169.254.170.2/v2/credentials/abc"] = {.status = 200, .body = kJson};
  auto found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "ASIAMETA");
  EXPECT_EQ(found.source, "container endpoint");
  EXPECT_EQ(header(world.sent.back(), "Authorization"), "from-env");
  // The full URI and the token file (EKS Pod Identity) win over the relative URI's defaults.
  world.env = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:7/creds"},
               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-env"},
               {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/pod-token"}};
  world.files["/pod-token"] = "from-file\n";
  world.http["GET http://127.0.0.1:7/creds"] = {.status = 200, .body = kJson};
  found = resolve_credentials(world.environment());
  EXPECT_EQ(header(world.sent.back(), "Authorization"), "from-file");
  // Configured but failing: an error, not a fall-through to instance metadata.
  world.http["GET http://127.0.0.1:7/creds"] = {.status = 500};
  try {
    resolve_credentials(world.environment());
    ADD_FAILURE();
  } catch (const CredentialError& error) {
    EXPECT_THAT(error.what(), HasSubstr("HTTP 500"));
  }
}

TEST(CredentialChain, InstanceMetadataV2Handshake) {
  FakeWorld world;
  world.env = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8/"}};
  world.http["PUT http://127.0.0.1:8/latest/api/token"] = {.status = 200, .body = "session-1"};
  world.http["GET http://127.0.0.1:8/latest/meta-data/iam/security-credentials/"] = {
      .status = 200, .body = "funnel-role\n"};
  world.http["GET http://127.0.0.1:8/latest/meta-data/iam/security-credentials/funnel-role"] = {
      .status = 200, .body = kJson};
  const Credentials found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "ASIAMETA");
  EXPECT_EQ(found.source, "instance metadata");
  ASSERT_EQ(world.sent.size(), 3u);
  EXPECT_EQ(header(world.sent[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(header(world.sent[1], "X-aws-ec2-metadata-token"), "session-1");
  EXPECT_EQ(header(world.sent[2], "X-aws-ec2-metadata-token"), "session-1");
  // Unreachable metadata: no credentials anywhere, one error that says what to do.
  world.http.clear();
  EXPECT_THROW(resolve_credentials(world.environment()), CredentialError);
  world.env["AWS_EC2_METADATA_DISABLED"] = "true";
  world.sent.clear();
  EXPECT_THROW(resolve_credentials(world.environment()), CredentialError);
  EXPECT_TRUE(world.sent.empty());
}

TEST(CredentialChain, CacheRefreshesBeforeExpiry) {
  FakeWorld world;
  world.env = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://m"}};
  world.http["PUT http://m/latest/api/token"] = {.status = 200, .body = "tok"};
  world.http["GET http://m/latest/meta-data/iam/security-credentials/"] = {.status = 200,
                                                                           .body = "r"};
  world.http["GET http://m/latest/meta-data/iam/security-credentials/r"] = {.status = 200,
                                                                            .body = kJson};
  CredentialCache cache(world.environment());
  EXPECT_EQ(cache.get().access_key_id, "ASIAMETA");
  const std::size_t calls = world.sent.size();
  world.now += std::chrono::hours(5);  // 09:00 expiry - 10 min margin not reached at 08:00
  cache.get();
  EXPECT_EQ(world.sent.size(), calls);
  world.http["GET http://m/latest/meta-data/iam/security-credentials/r"] = {
      .status = 200,
      .body =
          R"({"AccessKeyId":"ASIANEW","SecretAccessKey":"s","Expiration":"2026-01-02T15:00:00Z"})"};
  world.now += std::chrono::minutes(51);  // 08:51: inside the margin
  EXPECT_EQ(cache.get().access_key_id, "ASIANEW");
  // A failed refresh keeps credentials that are still valid, and says why.
  world.http.clear();
  world.now = *parse_iso8601("2026-01-02T14:55:00Z");
  EXPECT_EQ(cache.get().access_key_id, "ASIANEW");
  EXPECT_THAT(cache.last_error(), HasSubstr("no AWS credentials"));
  world.now = *parse_iso8601("2026-01-02T15:00:00Z");
  EXPECT_THROW(cache.get(), CredentialError);
}

}  // namespace
}  // namespace funnel::aws
