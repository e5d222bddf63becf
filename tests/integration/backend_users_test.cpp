// Users kept in the backend (issue #19 item 4): with auth.users_from_backend, a client's AUTH is
// checked against the backend on a control-side connection, the user's rules are read with ACL
// GETUSER and enforced by Funnel, both cached for auth.backend_users_cache_ms. Every refusal is
// compared with what redis-server itself answers for the same sequence.
#include "harness.hpp"
#include "security/password_hash.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

class BackendUsersTest : public ProxyFixture {
 protected:
  void start_funnel(std::vector<std::string> extra = {}) {
    redis_ = RedisServer::start();
    std::vector<std::string> args = {"--backend",
                                     backend_arg(redis_->port()),
                                     "--deny-commands",
                                     "",
                                     "--users-from-backend",
                                     "1",
                                     "--log-level",
                                     "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    funnel_ = FunnelProcess::start(args);
  }
  resp::Value direct(const std::vector<std::string>& command) {
    RespConnection admin(redis_->port());
    return admin.command(command);
  }
  // The failed AUTH calls the backend has seen (each check of a wrong password is one).
  long long backend_failed_auths() {
    const std::string stats = direct({"INFO", "commandstats"}).str;
    const std::size_t at = stats.find("cmdstat_auth:");
    if (at == std::string::npos) return 0;
    const std::size_t failed = stats.find("failed_calls=", at);
    return std::stoll(stats.substr(failed + 13));
  }
};

// The example: ACL SETUSER through Funnel, then AUTH as that user through Funnel.
TEST_F(BackendUsersTest, SetuserThroughFunnelThenAuthLogsIn) {
  start_funnel();
  RespConnection setup(funnel_->port());
  ASSERT_EQ(setup.command({"ACL", "SETUSER", "user1", "on", ">secret", "+@all", "~*"}).str, "OK");
  RespConnection client(funnel_->port());
  EXPECT_EQ(client.command({"AUTH", "user1", "wrong"}).str, kWrongPass);
  ASSERT_EQ(client.command({"AUTH", "user1", "secret"}).str, "OK");
  EXPECT_EQ(client.command({"ACL", "WHOAMI"}).str, "user1");
  EXPECT_EQ(client.command({"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(client.command({"GET", "k"}).str, "v");
  RespConnection hello(funnel_->port());
  const resp::Value reply = hello.command({"HELLO", "3", "AUTH", "user1", "secret"});
  ASSERT_EQ(reply.type, resp::ValueType::kMap) << reply.str;
  EXPECT_EQ(hello.command({"ACL", "WHOAMI"}).str, "user1");
  RespConnection bad_hello(funnel_->port());
  EXPECT_EQ(bad_hello.command({"HELLO", "3", "AUTH", "user1", "nope"}).str, kWrongPass);
}

// The same sequence straight at redis-server and through Funnel gets the same bytes: WRONGPASS
// for a bad password, an unknown or a disabled user; NOPERM for commands, keys and channels.
TEST_F(BackendUsersTest, RefusalsMatchRedisServerByteForByte) {
  start_funnel();
  ASSERT_EQ(direct({"ACL", "SETUSER", "reader", "on", ">pw-r", "~app:*", "&news.*", "-@all",
                    "+@read", "+publish", "+subscribe", "-keys"})
                .str,
            "OK");
  ASSERT_EQ(direct({"ACL", "SETUSER", "sleeper", "off", ">pw-s", "+@all", "~*"}).str, "OK");
  ASSERT_EQ(direct({"SET", "app:1", "one"}).str, "OK");
  RespConnection straight(redis_->port());
  RespConnection proxied(funnel_->port());
  const std::vector<std::vector<std::string>> sequence = {{"AUTH", "reader", "nope"},
                                                          {"AUTH", "nobody", "x"},
                                                          {"AUTH", "sleeper", "pw-s"},
                                                          {"AUTH", "reader", "pw-r"},
                                                          {"GET", "app:1"},
                                                          {"GET", "other"},
                                                          {"MGET", "app:1", "other"},
                                                          {"SET", "app:1", "x"},
                                                          {"KEYS", "*"},
                                                          {"PUBLISH", "news.a", "hi"},
                                                          {"PUBLISH", "sports", "hi"},
                                                          {"SUBSCRIBE", "sports"},
                                                          {"CONFIG", "GET", "maxmemory"},
                                                          {"ACL", "WHOAMI"},
                                                          {"GET", "app:1"}};
  for (const auto& command : sequence) {
    straight.send_command(command);
    proxied.send_command(command);
    EXPECT_EQ(proxied.read_raw_reply(), straight.read_raw_reply())
        << command[0] << " " << command[1];
  }
}

// ACL SETUSER removing a permission, and ACL DELUSER, apply through Funnel within the cache time:
// to new AUTHs and to the clients already logged in as that user (which Redis closes on DELUSER).
TEST_F(BackendUsersTest, RuleChangesAndDeletionApplyWithinTheCacheTime) {
  start_funnel({"--backend-users-cache-ms", "200"});
  ASSERT_EQ(direct({"ACL", "SETUSER", "app", "on", ">pw-a", "+@all", "~*"}).str, "OK");
  RespConnection logged_in(funnel_->port());
  ASSERT_EQ(logged_in.command({"AUTH", "app", "pw-a"}).str, "OK");
  ASSERT_EQ(logged_in.command({"GET", "k"}).type, resp::ValueType::kNull);
  ASSERT_EQ(direct({"ACL", "SETUSER", "app", "-get"}).str, "OK");
  const std::string denied = "NOPERM this user has no permissions to run the 'get' command";
  EXPECT_TRUE(wait_until([&] { return logged_in.command({"GET", "k"}).str == denied; }, 5s));
  EXPECT_TRUE(wait_until(
      [&] {
        RespConnection fresh(funnel_->port());
        return fresh.command({"AUTH", "app", "pw-a"}).str == "OK" &&
               fresh.command({"GET", "k"}).str == denied;
      },
      5s));
  ASSERT_EQ(direct({"ACL", "DELUSER", "app"}).integer, 1);
  EXPECT_TRUE(logged_in.closed_by_peer(5s));
  EXPECT_TRUE(wait_until(
      [&] {
        RespConnection fresh(funnel_->port());
        return fresh.command({"AUTH", "app", "pw-a"}).str == kWrongPass;
      },
      5s));
}

// Rules Funnel's engine cannot enforce exactly refuse the user, with a clear error, rather than
// letting it in with looser rules.
TEST_F(BackendUsersTest, RulesFunnelCannotEnforceRefuseTheUser) {
  start_funnel();
  ASSERT_EQ(direct({"ACL", "SETUSER", "sel", "on", ">pw", "+@all", "~*", "(+set ~w:*)"}).str, "OK");
  ASSERT_EQ(direct({"ACL", "SETUSER", "ro", "on", ">pw", "+@all", "%R~r:*"}).str, "OK");
  for (const char* user : {"sel", "ro"}) {
    RespConnection client(funnel_->port());
    const resp::Value reply = client.command({"AUTH", user, "pw"});
    EXPECT_TRUE(reply.is_error()) << user;
    EXPECT_TRUE(reply.str.starts_with("ERR funnel: backend user '" + std::string(user) + "'"))
        << reply.str;
    EXPECT_EQ(client.command({"ACL", "WHOAMI"}).str, "default") << user;
  }
}

// Users configured in Funnel come first: a configured name is decided by Funnel alone, whatever
// the backend holds under the same name; other names are checked against the backend.
TEST_F(BackendUsersTest, ConfiguredUsersComeFirst) {
  TempDir dir("funnel-beusers");
  const std::string config = dir.write(
      "funnel.toml", "[[users]]\nname = \"alice\"\npassword_sha256 = \"" +
                         security::to_hex(security::sha256("local-pw")) +
                         "\"\nrules = \"allkeys +@all\"\n\n[[users]]\nname = \"default\"\n"
                         "rules = \"nopass allkeys +@all\"\n");
  start_funnel({"--config", config});
  ASSERT_EQ(direct({"ACL", "SETUSER", "alice", "on", ">backend-pw", "+@all", "~*"}).str, "OK");
  ASSERT_EQ(direct({"ACL", "SETUSER", "bob", "on", ">bob-pw", "+@all", "~*"}).str, "OK");
  RespConnection client(funnel_->port());
  EXPECT_EQ(client.command({"AUTH", "alice", "backend-pw"}).str, kWrongPass);
  EXPECT_EQ(client.command({"AUTH", "alice", "local-pw"}).str, "OK");
  EXPECT_EQ(client.command({"AUTH", "bob", "bob-pw"}).str, "OK");
  EXPECT_EQ(client.command({"ACL", "WHOAMI"}).str, "bob");
}

// Guessing passwords through Funnel reaches the backend no faster than the AUTH throttle lets
// failures through: past the free failures and the held ones, a guess is refused before it is
// sent. And the password is in no log line.
TEST_F(BackendUsersTest, GuessesReachTheBackendOnlyAsTheThrottleAllows) {
  TempDir dir("funnel-beusers");
  const std::string config = dir.write("funnel.toml",
                                       "[auth]\nfree_failures = 2\nmax_held_per_address = 1\n"
                                       "failure_delay_ms = 2000\n");
  start_funnel({"--config", config});
  ASSERT_EQ(direct({"ACL", "SETUSER", "victim", "on", ">right-pw", "+@all", "~*"}).str, "OK");
  const long long before = backend_failed_auths();
  std::vector<std::unique_ptr<RespConnection>> guessers;
  for (int i = 0; i < 12; ++i) {
    guessers.push_back(std::make_unique<RespConnection>(funnel_->port()));
    guessers.back()->send_command({"AUTH", "victim", "guess-" + std::to_string(i)});
  }
  for (auto& guesser : guessers) {
    try {
      guesser->read_raw_reply();
    } catch (const std::exception&) {  // closed unanswered by the throttle
    }
  }
  // Two free failures and one held: at most three guesses were checked by the backend.
  EXPECT_LE(backend_failed_auths() - before, 3);
  EXPECT_EQ(funnel_->log_text().find("guess-"), std::string::npos);
  EXPECT_EQ(funnel_->log_text().find("right-pw"), std::string::npos);
}

// A backend that does not answer: AUTH gets a clear error in bounded time, and a configured
// user's AUTH is not held up meanwhile.
TEST_F(BackendUsersTest, ASlowBackendTimesOutAuthWithAClearError) {
  TempDir dir("funnel-beusers");
  const std::string config = dir.write(
      "funnel.toml", "[[users]]\nname = \"local\"\npassword_sha256 = \"" +
                         security::to_hex(security::sha256("local-pw")) +
                         "\"\nrules = \"allkeys +@all\"\n\n[[users]]\nname = \"default\"\n"
                         "rules = \"nopass allkeys +@all\"\n");
  start_funnel({"--config", config, "--request-timeout-ms", "300"});
  ASSERT_EQ(direct({"ACL", "SETUSER", "remote", "on", ">pw", "+@all", "~*"}).str, "OK");
  ASSERT_EQ(direct({"CLIENT", "PAUSE", "1500", "ALL"}).str, "OK");
  RespConnection waiting(funnel_->port());
  const auto started = Clock::now();
  waiting.send_command({"AUTH", "remote", "pw"});
  RespConnection local(funnel_->port());
  EXPECT_EQ(local.command({"AUTH", "local", "local-pw"}).str, "OK");
  EXPECT_LT(Clock::now() - started, 1s);
  const resp::Value reply = waiting.read_value();
  EXPECT_TRUE(reply.str.starts_with("ERR funnel: could not check the password with the backend"))
      << reply.str;
  EXPECT_EQ(waiting.command({"ACL", "WHOAMI"}).str, "default");
}

}  // namespace
}  // namespace funnel::test
