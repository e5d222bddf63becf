// IAM auth tokens checked against a reference outside our code (issue #19, item 2): Debian's
// python3-botocore signs the same inputs (tests/integration/aws/botocore_token.py) and
// `funnel iam-token` must print the same bytes; then a real redis-server whose ACL user has
// botocore's tokens as passwords must accept the links Funnel opens with its own tokens.
#include <stdio.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace funnel::test {
namespace {

// Runs a shell command line and returns its stdout (trailing newline dropped); the exit status
// in `status`.
std::string run(const std::string& command_line, int* status = nullptr) {
  FILE* pipe = ::popen(command_line.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command_line);
  std::string out;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int raw = ::pclose(pipe);
  if (status != nullptr) *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Inputs {
  std::string user, cache, region, service;
  bool serverless;
  std::string key_id, secret, token;
};

// The environment every command below runs in: only the given keys, no profile files, no
// instance metadata, so nothing outside the test is asked.
std::string env_prefix(const Inputs& in) {
  std::string prefix =
      "env -i PATH=/usr/bin:/bin HOME=/nonexistent AWS_EC2_METADATA_DISABLED=true ";
  prefix +=
      "AWS_ACCESS_KEY_ID=" + quoted(in.key_id) + " AWS_SECRET_ACCESS_KEY=" + quoted(in.secret);
  if (!in.token.empty()) prefix += " AWS_SESSION_TOKEN=" + quoted(in.token);
  return prefix + " ";
}

// botocore's tokens for `instants` (YYYYMMDDTHHMMSSZ), one per line.
std::vector<std::string> botocore_tokens(const Inputs& in,
                                         const std::vector<std::string>& instants) {
  std::string list;
  for (const auto& at : instants) list += (list.empty() ? "" : ",") + at;
  int status = 0;
  const std::string out =
      run(env_prefix(in) +
              "/usr/bin/python3 " FUNNEL_SOURCE_DIR "/tests/integration/aws/botocore_token.py " +
              quoted(in.user) + " " + quoted(in.cache) + " " + quoted(in.region) + " " +
              in.service + " " + (in.serverless ? "1" : "0") + " " + list,
          &status);
  EXPECT_EQ(status, 0) << "botocore_token.py failed (is python3-botocore installed? "
                          "scripts/install-deps.sh installs it)";
  std::vector<std::string> tokens;
  std::size_t start = 0;
  while (start <= out.size()) {
    const std::size_t end = out.find('\n', start);
    tokens.push_back(out.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return tokens;
}

std::string funnel_token(const Inputs& in, const std::string& at) {
  int status = 0;
  std::string line = env_prefix(in) + FunnelProcess::binary_path() + " iam-token --user " +
                     quoted(in.user) + " --cache " + quoted(in.cache) + " --region " +
                     quoted(in.region) + " --at " + at;
  if (in.serverless) line += " --serverless";
  if (in.service == "memorydb") line += " --memorydb";
  std::string out = run(line, &status);
  EXPECT_EQ(status, 0) << line;
  return out;
}

const Inputs kCases[] = {
    {"app-user", "my-cache", "us-east-1", "elasticache", false, "AKIAIOSFODNN7EXAMPLE",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
    {"app-user", "my-cache", "us-east-1", "elasticache", true, "ASIAIOSFODNN7EXAMPLE",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEA8aCXVzLWVhc3QtMSJHMEUCIQ+/="},
    {"reader 1", "prod-sessions-001", "eu-west-1", "elasticache", false, "AKIDEXAMPLE",
     "s3cr3t+/=", "token with spaces & symbols ~!*'()"},
    {"svc.user_2", "orders", "ap-southeast-2", "memorydb", false, "ASIAQWERTY", "k", "t"},
    {"u", "serverless-cache-x", "us-west-2", "elasticache", true, "AKIDX", "secret", ""},
    {"user%name", "c.with.dots", "sa-east-1", "memorydb", false, "AKIDY", "secret2", "tok"},
};

TEST(IamTokenBotocore, FunnelPrintsBotocoresTokenByteForByte) {
  const std::vector<std::string> instants = {"20260102T030405Z", "20241231T235959Z",
                                             "20280229T120000Z"};
  const std::vector<std::string> iso = {"2026-01-02T03:04:05Z", "2024-12-31T23:59:59Z",
                                        "2028-02-29T12:00:00Z"};
  for (const Inputs& in : kCases) {
    const auto expected = botocore_tokens(in, instants);
    ASSERT_EQ(expected.size(), instants.size()) << in.user;
    for (std::size_t i = 0; i < instants.size(); ++i) {
      EXPECT_EQ(funnel_token(in, iso[i]), expected[i])
          << in.user << " " << in.cache << " " << in.service << " at " << iso[i];
    }
  }
}

TEST(IamTokenBotocore, UsageErrorsAreClear) {
  const Inputs in = kCases[0];
  int status = 0;
  const std::string base =
      env_prefix(in) + FunnelProcess::binary_path() + " iam-token --user u --cache c --region r";
  run(base + " --at yesterday 2>/dev/null", &status);
  EXPECT_EQ(status, 2);
  const std::string error = run(base + " --at yesterday 2>&1 >/dev/null");
  EXPECT_NE(error.find("--at yesterday is not an ISO-8601 UTC time"), std::string::npos) << error;
  const std::string none =
      run("env -i HOME=/nonexistent AWS_EC2_METADATA_DISABLED=true " +
              FunnelProcess::binary_path() + " iam-token --user u --cache c --region r 2>&1",
          &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(none.find("no AWS credentials found"), std::string::npos) << none;
}

// Instants from `from` for `count` seconds, in the X-Amz-Date form.
std::vector<std::string> instants_from(std::time_t from, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    const std::time_t at = from + i;
    std::tm parts{};
    gmtime_r(&at, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &parts);
    out.push_back(text);
  }
  return out;
}

class IamAuthTest : public ::testing::Test {
 protected:
  // Funnel's environment: the keys of `in` only (restored after the test).
  void use_credentials(const Inputs& in) {
    ::setenv("AWS_ACCESS_KEY_ID", in.key_id.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", in.secret.c_str(), 1);
    if (in.token.empty()) {
      ::unsetenv("AWS_SESSION_TOKEN");
    } else {
      ::setenv("AWS_SESSION_TOKEN", in.token.c_str(), 1);
    }
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    ::setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
  }
  void TearDown() override {
    for (const char* name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
          "AWS_EC2_METADATA_DISABLED", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"}) {
      ::unsetenv(name);
    }
    if (funnel_) funnel_->stop();
  }

  // A redis-server whose ACL user `in.user` accepts botocore's tokens for `signed_for` (a cache
  // id) at every second of the next 60, and whose default user needs a password Funnel does
  // not have: only a correct IAM token gets in.
  // With `delay_s`, only tokens signed at least that many seconds from now are accepted.
  // Returns the first accepted instant.
  std::time_t start_redis(const Inputs& in, const std::string& signed_for, int delay_s = 0) {
    redis_ = RedisServer::start();
    Inputs reference = in;
    reference.cache = signed_for;
    const std::time_t first = std::time(nullptr) + (delay_s == 0 ? -2 : delay_s);
    const auto tokens = botocore_tokens(reference, instants_from(first, 62));
    std::vector<std::string> setuser = {"ACL", "SETUSER", in.user, "on", "~*", "&*", "+@all"};
    for (const auto& token : tokens) setuser.push_back(">" + token);
    RespConnection direct(redis_->port());
    EXPECT_EQ(direct.command(setuser).str, "OK");
    EXPECT_EQ(direct.command({"CONFIG", "SET", "requirepass", "not-an-iam-token"}).str, "OK");
    return first;
  }

  // The service and the serverless switch have no flags: they go in a config file.
  void start_funnel(const Inputs& in, std::vector<std::string> extra = {},
                    const std::string& more_backend_keys = "") {
    const std::string config =
        dir_.write("funnel.toml", "[backend]\niam_service = \"" + in.service +
                                      "\"\niam_serverless = " + (in.serverless ? "1" : "0") + "\n" +
                                      more_backend_keys);
    std::vector<std::string> args = {"--config",
                                     config,
                                     "--backend",
                                     backend_arg(redis_->port()),
                                     "--backend-iam-user",
                                     in.user,
                                     "--backend-iam-cache",
                                     in.cache,
                                     "--backend-iam-region",
                                     in.region};
    args.insert(args.end(), extra.begin(), extra.end());
    funnel_ = FunnelProcess::start(args);
  }

  TempDir dir_;

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<FunnelProcess> funnel_;
};

TEST_F(IamAuthTest, LinksAuthenticateWithTheIamToken) {
  const Inputs in = kCases[1];
  use_credentials(in);
  start_redis(in, in.cache);
  start_funnel(in, {"--workers", "2"});
  RespConnection client(funnel_->port());
  EXPECT_EQ(client.command({"SET", "iam:key", "value"}).str, "OK");
  EXPECT_EQ(client.command({"GET", "iam:key"}).str, "value");
  // Never logged: not the token, not the secret, not the session token.
  const std::string log = funnel_->log_text();
  EXPECT_EQ(log.find("X-Amz-Signature"), std::string::npos) << log;
  EXPECT_EQ(log.find(in.secret), std::string::npos);
  EXPECT_EQ(log.find(in.token), std::string::npos);
  EXPECT_NE(log.find("IAM authentication: links log in as"), std::string::npos) << log;
}

TEST_F(IamAuthTest, MemoryDbTokensWithoutSessionToken) {
  const Inputs in = kCases[3];
  use_credentials(in);
  start_redis(in, in.cache);
  start_funnel(in);
  RespConnection client(funnel_->port());
  EXPECT_EQ(client.command({"SET", "iam:key", "memorydb"}).str, "OK");
  EXPECT_EQ(client.command({"GET", "iam:key"}).str, "memorydb");
}

// Renewal: the backend accepts only tokens signed 15 s or more after start, so the first token
// is refused and links get in only once Funnel has made a new one (backend.iam_token_refresh_s
// = 1) and reconnected with it. Without renewal no GET would ever succeed.
TEST_F(IamAuthTest, NewLinksUseRenewedTokens) {
  const Inputs in = kCases[0];
  use_credentials(in);
  const std::time_t accepted_from = start_redis(in, in.cache, 15);
  // The premise: Funnel's first token is signed before the accepted window.
  ASSERT_LT(std::time(nullptr) + 5, accepted_from) << "set-up took too long on this machine";
  start_funnel(in, {}, "iam_token_refresh_s = 1\n");
  RespConnection client(funnel_->port());
  EXPECT_EQ(client.command({"GET", "iam:key"}).type, resp::ValueType::kError);
  EXPECT_TRUE(wait_until(
      [&] {
        return client.command({"SET", "iam:key", "later"}).str == "OK";
      },
      std::chrono::seconds(30)))
      << funnel_->log_text();
}

// The same with tokens made for another cache: the backend refuses them, so the test above
// cannot pass by accident (no AUTH, a default user without password).
TEST_F(IamAuthTest, WrongTokensAreRefusedByTheBackend) {
  const Inputs in = kCases[0];
  use_credentials(in);
  start_redis(in, "another-cache");
  start_funnel(in);
  RespConnection client(funnel_->port());
  const resp::Value reply = client.command({"GET", "iam:key"});
  EXPECT_EQ(reply.type, resp::ValueType::kError) << reply.str;
}

TEST_F(IamAuthTest, NoCredentialsRefusesToStart) {
  redis_ = RedisServer::start();
  ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
  ::setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
  int status = 0;
  const std::string out =
      run("env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY " + FunnelProcess::binary_path() +
              " --backend " + backend_arg(redis_->port()) +
              " --listen 127.0.0.1:" + std::to_string(free_port()) +
              " --backend-iam-user u "
              "--backend-iam-cache c --backend-iam-region r 2>&1",
          &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("no AWS credentials found"), std::string::npos) << out;
}

// Every ```toml example of docs/aws.md passes `funnel --check-config` (no credentials needed:
// the check reads the configuration only).
TEST(IamDocs, EveryExampleConfigurationPassesCheckConfig) {
  std::ifstream in(FUNNEL_SOURCE_DIR "/docs/aws.md");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  TempDir dir;
  int examples = 0;
  for (std::size_t at = doc.find("```toml\n"); at != std::string::npos;
       at = doc.find("```toml\n", at + 1)) {
    const std::size_t begin = at + 8;
    const std::size_t end = doc.find("```", begin);
    ASSERT_NE(end, std::string::npos);
    const std::string path = dir.path() + "/example" + std::to_string(examples++) + ".toml";
    std::ofstream(path) << doc.substr(begin, end - begin);
    int status = 0;
    const std::string out = run("env -u FUNNEL_BACKEND_PASSWORD " + FunnelProcess::binary_path() +
                                    " --check-config " + path + " 2>&1",
                                &status);
    EXPECT_EQ(status, 0) << doc.substr(begin, end - begin) << out;
  }
  EXPECT_EQ(examples, 7);
}

}  // namespace
}  // namespace funnel::test
