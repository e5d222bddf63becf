// Re-authentication of open links with IAM (issue #19, item 1): ElastiCache and MemoryDB end an
// IAM-authenticated connection 12 hours after its login, so every link logs in again with a
// fresh token before then (backend.iam_reauth_s, seconds here), between requests, without a
// reconnect and without a client seeing it. The backend is a real redis-server whose ACL user
// accepts python3-botocore's tokens (tests/integration/aws/botocore_token.py) for chosen windows:
// the test rotates the user's passwords to newer tokens, as the service's checks would.
#include <stdio.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace funnel::test {
namespace {

constexpr const char* kUser = "app-user";
constexpr const char* kKeyId = "ASIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// botocore's tokens for app-user on my-cache, one per second of [from, from + count).
std::vector<std::string> tokens_for(std::time_t from, int count) {
  std::string instants;
  for (int i = 0; i < count; ++i) {
    const std::time_t at = from + i;
    std::tm parts{};
    gmtime_r(&at, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &parts);
    instants += (instants.empty() ? "" : ",") + std::string(text);
  }
  const std::string line =
      std::string("env -i AWS_ACCESS_KEY_ID=") + kKeyId + " AWS_SECRET_ACCESS_KEY=" + kSecret +
      " /usr/bin/python3 " FUNNEL_SOURCE_DIR "/tests/integration/aws/botocore_token.py " + kUser +
      " my-cache us-east-1 elasticache 0 " + instants;
  FILE* pipe = ::popen(line.c_str(), "r");
  std::vector<std::string> tokens;
  char buffer[4096];
  while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    std::string token(buffer);
    while (!token.empty() && token.back() == '\n') token.pop_back();
    tokens.push_back(token);
  }
  EXPECT_EQ(pipe != nullptr ? ::pclose(pipe) : -1, 0) << "botocore_token.py failed";
  EXPECT_EQ(tokens.size(), static_cast<std::size_t>(count));
  return tokens;
}

std::int64_t stat_field(const std::string& info, const std::string& line_prefix,
                        const std::string& field) {
  const std::size_t line = info.find(line_prefix);
  if (line == std::string::npos) return 0;
  const std::size_t at = info.find(field + "=", line);
  return at == std::string::npos ? 0 : std::atoll(info.c_str() + at + field.size() + 1);
}

class IamReauthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("AWS_ACCESS_KEY_ID", kKeyId, 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", kSecret, 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    ::setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    redis_ = RedisServer::start();
    direct_ = std::make_unique<RespConnection>(redis_->port());
    accept_tokens_from(std::time(nullptr) - 2);
    EXPECT_EQ(direct_->command({"CONFIG", "SET", "requirepass", "not-an-iam-token"}).str, "OK");
    EXPECT_EQ(direct_->command({"AUTH", "not-an-iam-token"}).str, "OK");
  }
  void TearDown() override {
    for (const char* name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED",
          "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"}) {
      ::unsetenv(name);
    }
    if (funnel_) funnel_->stop();
  }

  // The user's passwords become the tokens of 90 seconds from `from` only (the old ones stop
  // working for new logins; connections already logged in stay, as in Redis).
  void accept_tokens_from(std::time_t from) {
    std::vector<std::string> setuser = {"ACL", "SETUSER", kUser, "resetpass",
                                        "on",  "~*",      "&*",  "+@all"};
    for (const auto& token : tokens_for(from, 90)) setuser.push_back(">" + token);
    ASSERT_EQ(direct_->command(setuser).str, "OK");
  }

  void start_funnel(const std::string& reauth_s) {
    const std::string config = dir_.write(
        "funnel.toml", "[backend]\niam_token_refresh_s = 1\niam_reauth_s = " + reauth_s + "\n");
    funnel_ = FunnelProcess::start({"--config", config, "--backend", backend_arg(redis_->port()),
                                    "--workers", "1", "--deny-commands", "", "--backend-iam-user",
                                    kUser, "--backend-iam-cache", "my-cache",
                                    "--backend-iam-region", "us-east-1"});
  }

  // name -> connection id of Funnel's links on the backend.
  std::map<std::string, std::string> funnel_links() {
    const std::string list = direct_->command({"CLIENT", "LIST"}).str;
    std::map<std::string, std::string> links;
    std::size_t at = 0;
    while (at < list.size()) {
      const std::size_t end = list.find('\n', at);
      const std::string line = list.substr(at, end - at);
      at = end == std::string::npos ? list.size() : end + 1;
      const std::size_t name = line.find(" name=funnel:");
      if (name == std::string::npos) continue;
      const std::size_t name_end = line.find(' ', name + 6);
      links[line.substr(name + 6, name_end - name - 6)] =
          line.substr(3, line.find(' ') - 3);  // "id=N ..."
    }
    return links;
  }

  std::int64_t auth_calls() {
    return stat_field(direct_->command({"INFO", "commandstats"}).str, "cmdstat_auth:", "calls");
  }

  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespConnection> direct_;
  std::unique_ptr<FunnelProcess> funnel_;
};

// Steady load with value checks while every link logs in again several times, with a pinned
// client's WATCH/MULTI block held across the threshold and a subscriber: no error, no
// reconnect (the same connection ids), and the logins used fresh tokens (the old ones were
// rotated out). On main no link sent AUTH after its handshake.
TEST_F(IamReauthTest, OpenLinksLogInAgainWithoutReconnecting) {
  start_funnel("2");
  RespConnection client(funnel_->port());
  ASSERT_EQ(client.command({"SET", "reauth:k", "v"}).str, "OK");
  RespConnection subscriber(funnel_->port());
  ASSERT_EQ(subscriber.command({"SUBSCRIBE", "reauth:ch"}).type, resp::ValueType::kArray);
  RespConnection pinned(funnel_->port());
  ASSERT_EQ(pinned.command({"WATCH", "reauth:w"}).str, "OK");
  ASSERT_EQ(pinned.command({"MULTI"}).str, "OK");
  ASSERT_EQ(pinned.command({"SET", "reauth:w", "in-multi"}).str, "QUEUED");
  const auto before = funnel_links();
  ASSERT_GE(before.size(), 3u);  // shared, pinned, subscriber (and control)
  // From now on only tokens signed from now on get in: re-AUTH must use the renewed token.
  accept_tokens_from(std::time(nullptr));
  const std::int64_t auths_before = auth_calls();

  std::atomic<bool> stop{false};
  std::atomic<int> done{0};
  std::atomic<int> errors{0};
  std::string first_error;
  std::thread load([&] {
    RespConnection loader(funnel_->port());
    for (int i = 0; !stop && i < 1'000'000; ++i) {
      const std::string key = "reauth:" + std::to_string(i % 50);
      const std::string value = "value-" + std::to_string(i);
      const resp::Value set = loader.command({"SET", key, value});
      const resp::Value get = loader.command({"GET", key});
      if (set.str != "OK" || get.str != value) {
        if (errors++ == 0) first_error = set.str + " / " + get.str;
      }
      ++done;
    }
  });
  // Two rounds of logins at least (shared and control links each log in every 2 s), under load.
  EXPECT_TRUE(
      wait_until([&] { return auth_calls() - auths_before >= 4; }, std::chrono::seconds(30)))
      << funnel_->log_text();
  stop = true;
  load.join();

  EXPECT_EQ(errors, 0) << first_error;
  EXPECT_GT(done, 100);
  const resp::Value exec = pinned.command({"EXEC"});
  ASSERT_EQ(exec.type, resp::ValueType::kArray) << exec.str;
  ASSERT_EQ(exec.elems.size(), 1u);
  EXPECT_EQ(exec.elems[0].str, "OK");
  EXPECT_EQ(client.command({"GET", "reauth:w"}).str, "in-multi");
  // The subscriber still hears its channel.
  EXPECT_EQ(client.command({"PUBLISH", "reauth:ch", "hello"}).integer, 1);
  const resp::Value message = subscriber.read_value();
  ASSERT_EQ(message.elems.size(), 3u);
  EXPECT_EQ(message.elems[2].str, "hello");
  // ... on the same connections.
  const auto after = funnel_links();
  for (const auto& [name, id] : before) {
    ASSERT_TRUE(after.count(name)) << name << " reconnected or closed\n" << funnel_->log_text();
    EXPECT_EQ(after.at(name), id) << name << " reconnected\n" << funnel_->log_text();
  }
  EXPECT_EQ(funnel_->log_text().find("re-authentication refused"), std::string::npos);
}

// A refused re-AUTH (the user's passwords rotated to tokens Funnel cannot have yet) closes the
// link only after the requests already sent are answered: no client sees "may or may not have
// run"; once the user accepts current tokens again, a new connection serves the clients.
TEST_F(IamReauthTest, RefusedReauthReconnectsWithoutLosingRequests) {
  start_funnel("2");
  RespConnection client(funnel_->port());
  ASSERT_EQ(client.command({"SET", "reauth:k", "v"}).str, "OK");
  const std::string shared_before = funnel_links().at("funnel:shared:resp2:db0:0");
  accept_tokens_from(std::time(nullptr) + 600);  // nothing Funnel signs now gets in

  std::atomic<bool> stop{false};
  std::atomic<int> lost{0};
  std::string lost_text;
  std::thread load([&] {
    RespConnection loader(funnel_->port());
    for (int i = 0; !stop && i < 1'000'000; ++i) {
      const resp::Value get = loader.command({"GET", "reauth:k"});
      if (get.str.find("may or may not have run") != std::string::npos && lost++ == 0) {
        lost_text = get.str;
      }
    }
  });
  EXPECT_TRUE(wait_until(
      [&] { return funnel_->log_text().find("re-authentication refused") != std::string::npos; },
      std::chrono::seconds(20)));
  accept_tokens_from(std::time(nullptr) - 2);
  EXPECT_TRUE(wait_until(
      [&] {
        const auto links = funnel_links();
        const auto shared = links.find("funnel:shared:resp2:db0:0");
        return shared != links.end() && shared->second != shared_before &&
               client.command({"GET", "reauth:k"}).str == "v";
      },
      std::chrono::seconds(30)))
      << funnel_->log_text();
  stop = true;
  load.join();
  EXPECT_EQ(lost, 0) << lost_text;
}

}  // namespace
}  // namespace funnel::test
