// The profile credential sources over real HTTP and real processes (issue #19, item 1): an
// assume-role profile against a fake STS on loopback, whose Authorization header is botocore's
// for the same inputs (python3-botocore's SigV4Auth, tests/integration/aws/
// botocore_sts_signature.py), with expiry and refresh; and credential_process run without a
// shell, its output parsed and its Expiration honoured.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "aws/credential_chain.hpp"
#include "aws/fake_aws_endpoint.hpp"
#include "aws/iam_token.hpp"
#include "aws/sigv4.hpp"

namespace funnel::aws {
namespace {

// A temporary directory for the shared files and scripts, removed at the end.
struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/funnel-aws-profiles-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& text, bool executable = false) {
    const std::string file = path + "/" + name;
    std::ofstream(file) << text;
    if (executable) ::chmod(file.c_str(), 0700);
    return file;
  }
};

std::string assumed(const std::string& key_id, const std::string& expiration) {
  return "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>" + key_id +
         "</AccessKeyId><SecretAccessKey>rs</SecretAccessKey><SessionToken>rt</SessionToken>"
         "<Expiration>" +
         expiration + "</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";
}

// botocore's Authorization header for POST `url` with `body`, signed at `at`.
std::string botocore_authorization(const std::string& url, const std::string& region,
                                   const std::string& at, const std::string& body,
                                   const std::string& key_id, const std::string& secret,
                                   const std::string& token) {
  std::string command = "AWS_ACCESS_KEY_ID='" + key_id + "' AWS_SECRET_ACCESS_KEY='" + secret +
                        "' AWS_SESSION_TOKEN='" + token +
                        "' /usr/bin/python3 " FUNNEL_SOURCE_DIR
                        "/tests/integration/aws/botocore_sts_signature.py '" +
                        url + "' " + region + " " + at + " '" + body + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buffer[512];
  while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  const int status = pipe != nullptr ? ::pclose(pipe) : -1;
  EXPECT_EQ(status, 0) << "botocore_sts_signature.py failed (is python3-botocore installed?)";
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(AwsProfileSources, AssumeRoleSignsLikeBotocoreAndRefreshes) {
  std::atomic<int> generation{1};
  FakeEndpoint sts([&](const Seen& request) -> Answer {
    if (request.body.find("Action=AssumeRole&") == std::string::npos) return {400, ""};
    return generation == 1 ? Answer{200, assumed("ASIAROLE1", "2026-01-02T04:00:00Z")}
                           : Answer{200, assumed("ASIAROLE2", "2026-01-02T05:00:00Z")};
  });
  TempDir dir;
  World world;
  world.env = {
      {"AWS_CONFIG_FILE",
       dir.write("config",
                 "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/funnel\n"
                 "source_profile = base\nexternal_id = ext/1\nrole_session_name = funnel-test\n"
                 "region = eu-west-1\n")},
      {"AWS_SHARED_CREDENTIALS_FILE",
       dir.write("credentials",
                 "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base/secret\n"
                 "aws_session_token = base-token\n")},
      {"AWS_PROFILE", "app"},
      {"AWS_ENDPOINT_URL_STS", sts.url("/")}};
  CredentialCache cache(world.environment());
  EXPECT_EQ(cache.get().access_key_id, "ASIAROLE1");
  EXPECT_EQ(cache.get().source, "assume role");
  ASSERT_EQ(sts.seen().size(), 1u);
  const Seen first = sts.seen()[0];
  EXPECT_EQ(first.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole"
            "%2Ffunnel&RoleSessionName=funnel-test&ExternalId=ext%2F1");
  EXPECT_EQ(first.headers.at("x-amz-security-token"), "base-token");
  EXPECT_EQ(first.headers.at("authorization"),
            botocore_authorization(sts.url("/"), "eu-west-1", "20260102T030000Z", first.body,
                                   "AKIDBASE", "base/secret", "base-token"));
  // Expiry at 04:00: nothing new until 10 minutes before, then a second AssumeRole.
  world.now = *parse_iso8601("2026-01-02T03:49:00Z");
  EXPECT_EQ(cache.get().access_key_id, "ASIAROLE1");
  EXPECT_EQ(sts.seen().size(), 1u);
  generation = 2;
  world.now = *parse_iso8601("2026-01-02T03:51:00Z");
  EXPECT_EQ(cache.get().access_key_id, "ASIAROLE2");
  EXPECT_EQ(sts.seen().size(), 2u);
}

TEST(AwsProfileSources, CredentialProcessRunsTheCommandWithoutAShell) {
  TempDir dir;
  // Arguments with spaces and shell characters arrive as they were written: no shell ran.
  const std::string script = dir.write(
      "get creds.sh",
      "#!/bin/sh\n"
      "[ \"$1\" = 'a b;c' ] || { echo \"bad argument: $1\" >&2; exit 3; }\n"
      "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"ps\",'\n"
      "echo ' \"SessionToken\": \"pt\", \"Expiration\": \"2026-01-02T04:00:00Z\"}'\n",
      true);
  World world;
  world.env = {{"AWS_CONFIG_FILE", dir.write("config", "[default]\ncredential_process = \"" +
                                                           script + "\" 'a b;c'\n")},
               {"AWS_SHARED_CREDENTIALS_FILE", dir.path + "/none"}};
  const Credentials found = resolve_credentials(world.environment());
  EXPECT_EQ(found.access_key_id, "ASIAPROC");
  EXPECT_EQ(found.session_token, "pt");
  EXPECT_EQ(found.expiry, parse_iso8601("2026-01-02T04:00:00Z"));
  // A failing command: its exit status, never its output.
  world.env["AWS_CONFIG_FILE"] =
      dir.write("config2", "[default]\ncredential_process = \"" + script + "\" other\n");
  try {
    resolve_credentials(world.environment());
    ADD_FAILURE();
  } catch (const CredentialError& error) {
    EXPECT_NE(std::string(error.what()).find("exit status 3"), std::string::npos) << error.what();
  }
  // A command that does not exist, and one that hangs (killed at the timeout).
  EXPECT_NE(run_process({dir.path + "/missing"}, std::chrono::seconds(5)).error, "");
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult hung = run_process({"/bin/sleep", "30"}, std::chrono::milliseconds(300));
  EXPECT_EQ(hung.exit_code, -1);
  EXPECT_NE(hung.error.find("did not finish"), std::string::npos) << hung.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace funnel::aws
