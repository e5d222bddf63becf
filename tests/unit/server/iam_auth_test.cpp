// IamAuth: the token installed as the links' password, renewed by the control loop's timer and
// made with refreshed credentials when the old ones near their expiry. The world (environment,
// clock, HTTP) is a table; the timer is real (one second, waited on by running the loop).
#include "server/iam_auth.hpp"

#include <gtest/gtest.h>

#include <map>

namespace funnel::server {
namespace {

struct World {
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "AKIDTEST"},
                                            {"AWS_SECRET_ACCESS_KEY", "secret"}};
  aws::Clock::time_point now = *aws::parse_iso8601("2026-01-02T03:04:05Z");
  aws::ChainEnvironment environment() {
    aws::ChainEnvironment e;
    e.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto found = env.find(name);
      if (found == env.end()) return std::nullopt;
      return found->second;
    };
    e.read_file = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    e.http = [](const aws::HttpRequest&) { return aws::HttpResponse{.error = "no network"}; };
    e.now = [this] { return now; };
    return e;
  }
};

config::BackendConfig iam_backend() {
  config::BackendConfig backend;
  backend.iam_user = "app";
  backend.iam_cache_id = "my-cache";
  backend.iam_region = "us-east-1";
  backend.iam_token_refresh_s = 1;
  return backend;
}

std::string expected_token(const World& world, const std::string& key_id) {
  return aws::make_iam_token(iam_request_from(iam_backend()),
                             {.access_key_id = key_id, .secret_access_key = "secret"}, world.now);
}

TEST(IamAuth, RenewInstallsTheTokenAsThePassword) {
  World world;
  auto credentials = std::make_shared<backend::CredentialSource>();
  IamAuth auth(iam_backend(), credentials, world.environment());
  EXPECT_EQ(credentials->get()->password, nullptr);
  auth.renew();
  auto installed = credentials->get();
  EXPECT_EQ(installed->user, "app");
  ASSERT_NE(installed->password, nullptr);
  EXPECT_EQ(*installed->password, expected_token(world, "AKIDTEST"));
}

TEST(IamAuth, TimerRenewsWithTheCurrentClockAndCredentials) {
  World world;
  asio::io_context io(1);  // outlives `auth`, whose timer it serves
  auto credentials = std::make_shared<backend::CredentialSource>();
  IamAuth auth(iam_backend(), credentials, world.environment());
  auth.renew();
  auth.start(io);
  world.now += std::chrono::minutes(10);
  world.env["AWS_ACCESS_KEY_ID"] = "AKIDNEW";  // env keys do not expire: the cache keeps AKIDTEST
  EXPECT_EQ(io.run_one(), 1u);                 // the timer fires after 1 s and renews
  EXPECT_EQ(auth.renewals(), 2u);
  EXPECT_EQ(*credentials->get()->password, expected_token(world, "AKIDTEST"));
}

TEST(IamAuth, NoCredentialsIsAnErrorThatNamesTheSources) {
  World world;
  world.env.clear();
  world.env["AWS_EC2_METADATA_DISABLED"] = "true";
  auto credentials = std::make_shared<backend::CredentialSource>();
  IamAuth auth(iam_backend(), credentials, world.environment());
  try {
    auth.renew();
    ADD_FAILURE();
  } catch (const aws::CredentialError& error) {
    EXPECT_NE(std::string(error.what()).find("no AWS credentials found"), std::string::npos);
  }
  config::BackendConfig bad = iam_backend();
  bad.iam_cache_id = "a b";
  EXPECT_THROW(IamAuth(bad, credentials, world.environment()), aws::CredentialError);
}

}  // namespace
}  // namespace funnel::server
