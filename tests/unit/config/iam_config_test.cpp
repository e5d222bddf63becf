// The IAM settings (backend.iam_*) and `funnel iam-token`'s command line: what is required,
// what excludes what, and that the subcommand leaves `funnel --backend ...` as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::HasSubstr;
using IamConfigTest = ConfigTest;

Config iam_config() {
  Config config = runnable_config();
  config.backend.iam_user = "app";
  config.backend.iam_cache_id = "my-cache";
  config.backend.iam_region = "us-east-1";
  return config;
}

TEST_F(IamConfigTest, CompleteSettingsAreAccepted) {
  Config config = iam_config();
  finalize(config);
  EXPECT_TRUE(config.backend.iam());
  EXPECT_EQ(config.backend.iam_service, "elasticache");
  EXPECT_EQ(config.backend.iam_token_refresh_s, 600u);
  config = iam_config();
  config.backend.user = "app";  // the same user: fine
  finalize(config);
}

TEST_F(IamConfigTest, RulesNameTheKeys) {
  struct Case {
    std::function<void(Config&)> change;
    std::string message;
  };
  const Case cases[] = {
      {[](Config& c) { c.backend.iam_cache_id.clear(); }, "needs backend.iam_cache_id"},
      {[](Config& c) { c.backend.iam_region.clear(); },
       "backend.iam_region (--backend-iam-region)"},
      {[](Config& c) { c.backend.password = "pw"; }, "IAM tokens replace the password"},
      {[](Config& c) { c.backend.user = "other"; }, "links log in as the IAM user"},
      {[](Config& c) { c.backend.iam_user.clear(); }, "backend.iam_user is empty"},
      {[](Config& c) { c.backend.iam_service = "s3"; }, "backend.iam_service"},
      {[](Config& c) { c.backend.iam_token_refresh_s = 900; }, "backend.iam_token_refresh_s"},
  };
  for (const Case& c : cases) {
    Config config = iam_config();
    c.change(config);
    EXPECT_THAT(error_of([&] { finalize(config); }), HasSubstr(c.message)) << c.message;
  }
}

TEST_F(IamConfigTest, TomlAndFlagsSetTheKeys) {
  Config config = load_toml(
      "[backend]\naddress = \"127.0.0.1:6379\"\niam_user = \"u\"\niam_cache_id = \"c\"\n"
      "iam_region = \"eu-west-1\"\niam_service = \"memorydb\"\niam_serverless = 1\n",
      "test.toml");
  EXPECT_EQ(config.backend.iam_service, "memorydb");
  EXPECT_EQ(config.backend.iam_serverless, 1u);
  const Invocation invocation =
      invoke({"--backend", "127.0.0.1:6379", "--backend-iam-user", "u", "--backend-iam-cache", "c",
              "--backend-iam-region", "us-west-2"});
  EXPECT_EQ(invocation.action, Invocation::Action::kRun);
  EXPECT_EQ(invocation.config.backend.iam_user, "u");
  EXPECT_EQ(invocation.config.backend.iam_cache_id, "c");
  EXPECT_EQ(invocation.config.backend.iam_region, "us-west-2");
}

TEST_F(IamConfigTest, IamTokenSubcommand) {
  Invocation invocation = invoke({"iam-token", "--user", "u", "--cache", "c", "--region", "r",
                                  "--serverless", "--at", "2026-01-02T03:04:05Z"});
  ASSERT_EQ(invocation.action, Invocation::Action::kIamToken);
  EXPECT_EQ(invocation.iam_token.user, "u");
  EXPECT_EQ(invocation.iam_token.cache_id, "c");
  EXPECT_EQ(invocation.iam_token.region, "r");
  EXPECT_EQ(invocation.iam_token.service, "elasticache");
  EXPECT_TRUE(invocation.iam_token.serverless);
  EXPECT_EQ(invocation.iam_token.at, "2026-01-02T03:04:05Z");
  invocation = invoke({"iam-token", "--user", "u", "--cache", "c", "--region", "r", "--memorydb"});
  EXPECT_EQ(invocation.iam_token.service, "memorydb");
  EXPECT_FALSE(invocation.iam_token.serverless);
  // Missing a required flag: a usage error, not a token.
  invocation = invoke({"iam-token", "--user", "u", "--cache", "c"});
  EXPECT_EQ(invocation.action, Invocation::Action::kExit);
  EXPECT_EQ(invocation.exit_code, 2);
}

}  // namespace
}  // namespace funnel::config
