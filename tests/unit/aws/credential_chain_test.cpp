// The chain's order and the request each HTTP source sends, with the environment, the files and
// HTTP replaced by tables (no sockets; tests/integration/aws covers the real HTTP client).
#include "aws/credential_chain.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "aws/iam_token.hpp"
#include "aws/profile_sources.hpp"

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

const char* kAssumed =
    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId>"
    "<SecretAccessKey>rs</SecretAccessKey><SessionToken>rt</SessionToken>"
    "<Expiration>2026-01-02T04:00:00Z</Expiration></Credentials></AssumeRoleResult>"
    "</AssumeRoleResponse>";

std::string form_field(const std::string& body, const std::string& name) {
  const std::string key = name + '=';
  std::size_t at = body.find(key);
  while (at != std::string::npos && at != 0 && body[at - 1] != '&') at = body.find(key, at + 1);
  if (at == std::string::npos) return "<none>";
  const std::size_t end = body.find('&', at);
  return body.substr(at + key.size(),
                     end == std::string::npos ? std::string::npos : end - at - key.size());
}

TEST(CredentialChain, AssumeRoleWithSourceProfileCallsStsSigned) {
  FakeWorld world;
  world.env = {{"AWS_CONFIG_FILE", "/f"},
               {"AWS_SHARED_CREDENTIALS_FILE", "/c"},
               {"AWS_PROFILE", "r"},
               {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/"}};
  world.files["/c"] = "[base]\naws_access_key_id=AKIDBASE\naws_secret_access_key=bs\n";
  world.files["/f"] =
      "[profile r]\nrole_arn=arn:aws:iam::1:role/x\nsource_profile=base\nexternal_id=ext-1\n"
      "role_session_name=sess\nduration_seconds=1800\nregion=eu-west-1\n";
  world.http["POST http://127.0.0.1:9/"] = {.status = 200, .body = kAssumed};
  const Credentials found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "ASIAROLE");
  EXPECT_EQ(found.session_token, "rt");
  EXPECT_EQ(found.source, "assume role");
  ASSERT_TRUE(found.expiry.has_value());
  ASSERT_EQ(world.sent.size(), 1u);
  const HttpRequest& sent = world.sent[0];
  EXPECT_EQ(sent.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx"
            "&RoleSessionName=sess&DurationSeconds=1800&ExternalId=ext-1");
  // Signed with the source profile's keys for the profile's region.
  EXPECT_THAT(header(sent, "Authorization"),
              HasSubstr("Credential=AKIDBASE/20260102/eu-west-1/sts/aws4_request, "
                        "SignedHeaders=content-type;host;x-amz-date, Signature="));
  EXPECT_EQ(header(sent, "X-Amz-Date"), "20260102T030000Z");
  EXPECT_THAT(header(sent, "Authorization"), ::testing::Not(HasSubstr("bs")));
}

TEST(CredentialChain, AssumeRoleChainsThroughSourceProfilesAndSources) {
  FakeWorld world;
  world.env = {{"AWS_CONFIG_FILE", "/f"},
               {"AWS_PROFILE", "outer"},
               {"AWS_ENDPOINT_URL_STS", "http://sts/"},
               {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:7/creds"}};
  world.files["/f"] =
      "[profile outer]\nrole_arn=arn:outer\nsource_profile=inner\n"
      "[profile inner]\nrole_arn=arn:inner\ncredential_source=EcsContainer\n";
  world.http["GET http://127.0.0.1:7/creds"] = {.status = 200, .body = kJson};
  world.http["POST http://sts/"] = {.status = 200, .body = kAssumed};
  EXPECT_EQ(resolve_credentials(world.environment()).access_key_id, "ASIAROLE");
  ASSERT_EQ(world.sent.size(), 3u);  // the container, then AssumeRole inner, then outer
  EXPECT_EQ(form_field(world.sent[1].body, "RoleArn"), "arn%3Ainner");
  EXPECT_THAT(header(world.sent[1], "Authorization"), HasSubstr("Credential=ASIAMETA/"));
  EXPECT_THAT(header(world.sent[1], "Authorization"), HasSubstr("x-amz-security-token"));
  EXPECT_EQ(header(world.sent[1], "X-Amz-Security-Token"), "t");
  EXPECT_EQ(form_field(world.sent[2].body, "RoleArn"), "arn%3Aouter");
  EXPECT_THAT(header(world.sent[2], "Authorization"), HasSubstr("Credential=ASIAROLE/"));
  // credential_source Environment without keys in the environment: an error, no request.
  world.files["/f"] = "[profile outer]\nrole_arn=arn:outer\ncredential_source=Environment\n";
  world.sent.clear();
  EXPECT_THROW(resolve_credentials(world.environment()), CredentialError);  // no keys
  EXPECT_TRUE(world.sent.empty());
}

TEST(CredentialChain, AssumeRoleProfileErrorsSayWhy) {
  FakeWorld world;
  world.env = {
      {"AWS_CONFIG_FILE", "/f"}, {"AWS_PROFILE", "r"}, {"AWS_ENDPOINT_URL_STS", "http://sts/"}};
  const auto error_of = [&](const std::string& config) {
    world.files["/f"] = config;
    try {
      resolve_credentials(world.environment());
    } catch (const CredentialError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error_of("[profile r]\nrole_arn=a\n"), HasSubstr("exactly one of source_profile"));
  EXPECT_THAT(error_of("[profile r]\nrole_arn=a\nsource_profile=r\n"), HasSubstr("loop"));
  EXPECT_THAT(error_of("[profile r]\nrole_arn=a\nsource_profile=a\n[profile a]\nrole_arn=b\n"
                       "source_profile=r\n"),
              HasSubstr("loop"));
  EXPECT_THAT(error_of("[profile r]\nrole_arn=a\nsource_profile=gone\n"),
              HasSubstr("source_profile gone does not exist"));
  EXPECT_THAT(error_of("[profile r]\nrole_arn=a\ncredential_source=Magic\n"),
              HasSubstr("not one of Environment"));
  EXPECT_THAT(error_of("[profile r]\nrole_arn=a\nsource_profile=r\nmfa_serial=m\n"),
              HasSubstr("mfa_serial"));
  // A profile that names itself as its source with keys of its own is fine (botocore allows it).
  world.http["POST http://sts/"] = {.status = 403,
                                    .body =
                                        "<ErrorResponse><Error><Code>AccessDenied</Code>"
                                        "<Message>no</Message></Error></ErrorResponse>"};
  EXPECT_THAT(error_of("[profile r]\nrole_arn=a\nsource_profile=r\naws_access_key_id=K\n"
                       "aws_secret_access_key=S\n"),
              HasSubstr("HTTP 403: STS refused: AccessDenied"));
}

TEST(CredentialChain, CredentialProcessRunsWithoutAShell) {
  FakeWorld world;
  world.env = {{"AWS_CONFIG_FILE", "/f"}};
  world.files["/f"] =
      "[default]\ncredential_process = /opt/get-creds --profile 'my dev' \"a\\\"b\"\n"
      "aws_access_key_id=AKIDCONFIG\naws_secret_access_key=x\n";
  std::vector<std::vector<std::string>> ran;
  std::string output =
      R"({"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "ps", "SessionToken": "pt",)"
      R"( "Expiration": "2026-01-02T04:00:00Z"})";
  int exit_code = 0;
  ChainEnvironment environment = world.environment();
  environment.run = [&](const std::vector<std::string>& argv) {
    ran.push_back(argv);
    return ProcessResult{.exit_code = exit_code, .output = output};
  };
  const Credentials found = resolve_credentials(environment);
  EXPECT_EQ(found.access_key_id, "ASIAPROC");  // before the config file's keys
  EXPECT_EQ(found.session_token, "pt");
  EXPECT_EQ(found.source, "credential process");
  ASSERT_TRUE(found.expiry.has_value());
  ASSERT_EQ(ran.size(), 1u);
  EXPECT_EQ(ran[0], (std::vector<std::string>{"/opt/get-creds", "--profile", "my dev", "a\"b"}));
  // Failures name the command and the exit status, never what it printed.
  output = R"({"Version": 1, "AccessKeyId": "ASIASECRET"})";
  try {
    resolve_credentials(environment);
    ADD_FAILURE();
  } catch (const CredentialError& error) {
    EXPECT_THAT(error.what(), HasSubstr("/opt/get-creds"));
    EXPECT_THAT(error.what(), ::testing::Not(HasSubstr("ASIASECRET")));
  }
  exit_code = 3;
  EXPECT_THROW(resolve_credentials(environment), CredentialError);
  output = R"({"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "s"})";
  exit_code = 0;
  EXPECT_THROW(resolve_credentials(environment), CredentialError);
}

TEST(CredentialChain, CacheRefreshesAssumedRoleBeforeExpiry) {
  FakeWorld world;
  world.env = {{"AWS_CONFIG_FILE", "/f"}, {"AWS_ENDPOINT_URL_STS", "http://sts/"}};
  world.files["/f"] =
      "[default]\nrole_arn=arn:r\nsource_profile=base\n"
      "[profile base]\naws_access_key_id=AKIDBASE\naws_secret_access_key=bs\n";
  world.http["POST http://sts/"] = {.status = 200, .body = kAssumed};  // expires 04:00
  CredentialCache cache(world.environment());
  EXPECT_EQ(cache.get().access_key_id, "ASIAROLE");
  world.now += std::chrono::minutes(49);  // 03:49: outside the 10-minute margin
  cache.get();
  EXPECT_EQ(world.sent.size(), 1u);
  world.now += std::chrono::minutes(2);  // 03:51: inside it
  cache.get();
  EXPECT_EQ(world.sent.size(), 2u);
}

TEST(CredentialChain, SplitCommandLikeAPosixShell) {
  EXPECT_EQ(split_command("a  b\tc"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_command(R"(x 'a b' "c d" e\ f '' "")"),
            (std::vector<std::string>{"x", "a b", "c d", "e f", "", ""}));
  EXPECT_EQ(split_command(R"("a\$b\n")"), (std::vector<std::string>{"a$b\\n"}));
  EXPECT_FALSE(split_command("a 'b").has_value());
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
