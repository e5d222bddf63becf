// Security end to end (issue #7): named users with ACL rules against a real redis-server with
// requirepass, the command deny list, pre-auth limits, slowed-down password guessing, the admin
// endpoint's token, and secrets absent from the log, INFO and /metrics.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "harness.hpp"
#include "security/password_hash.hpp"
#include "support/http_get.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAlicePass = "alice-Pass-3e1";
constexpr const char* kWriterPass = "writer-Pass-77b";
constexpr const char* kOpsPass = "ops-Pass-c04";
constexpr const char* kBackendPass = "backend-Pass-5d9";
constexpr const char* kAdminToken = "admin-Token-a8e2";
constexpr const char* kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

class SecurityTest : public ProxyFixture {
 protected:
  // redis-server with requirepass; Funnel with three users and an admin endpoint with a token.
  void start_with_users(std::vector<std::string> extra = {}) {
    redis_ = RedisServer::start({"--requirepass", kBackendPass});
    ::setenv("FUNNEL_TEST_OPS_PASSWORD", kOpsPass, 1);
    const std::string config =
        dir_.write("funnel.toml",
                   "[[users]]\nname = \"alice\"\npassword_sha256 = \"" +
                       security::to_hex(security::sha256(kAlicePass)) +
                       "\"\nrules = \"~app:* +@read\"\n\n"
                       "[[users]]\nname = \"writer\"\npassword_file = \"" +
                       dir_.write("writer.pass", std::string(kWriterPass) + "\n") +
                       "\"\nrules = \"allkeys +@all\"\n\n"
                       "[[users]]\nname = \"ops\"\npassword_env = \"FUNNEL_TEST_OPS_PASSWORD\"\n"
                       "rules = \"allkeys +@all +flushdb +config|get\"\n");
    std::vector<std::string> args = {"--config",
                                     config,
                                     "--backend",
                                     backend_arg(redis_->port()),
                                     "--backend-password-file",
                                     dir_.write("backend.pass", kBackendPass),
                                     "--admin-token-file",
                                     dir_.write("admin.token", kAdminToken),
                                     "--log-level",
                                     "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string why;
    funnel_ = retry_with_free_port([&](std::uint16_t port) -> std::unique_ptr<FunnelProcess> {
      admin_port_ = port;
      std::vector<std::string> with_admin = args;
      with_admin.insert(with_admin.end(), {"--admin", std::to_string(port)});
      try {
        return FunnelProcess::start(with_admin);
      } catch (const std::exception& e) {
        why = e.what();
        return nullptr;
      }
    });
    if (!funnel_) throw std::runtime_error("funnel did not start: " + why);
  }
  std::unique_ptr<RespConnection> login(const std::string& user, const std::string& pass) {
    auto c = std::make_unique<RespConnection>(funnel_->port());
    EXPECT_EQ(c->command({"AUTH", user, pass}).str, "OK") << user;
    return c;
  }

  TempDir dir_{"funnel-security"};
  std::uint16_t admin_port_ = 0;
};

TEST_F(SecurityTest, UnauthenticatedAndWrongCredentialsNeverGetData) {
  start_with_users();
  login("writer", kWriterPass)->command({"SET", "app:1", "secret-data"});
  RespConnection c(funnel_->port());
  EXPECT_EQ(c.command({"GET", "app:1"}).str, "NOAUTH Authentication required.");
  EXPECT_EQ(c.command({"PING"}).str, "NOAUTH Authentication required.");
  EXPECT_EQ(c.command({"AUTH", kAlicePass}).str, kWrongPass);  // the default user is off
  EXPECT_EQ(c.command({"AUTH", "alice", "nope"}).str, kWrongPass);
  // Pipelined behind a failed AUTH in the same packet: every one refused, none answered.
  c.send_raw(encode_command({"AUTH", "alice", "nope"}) + encode_command({"GET", "app:1"}) +
             encode_command({"SET", "app:1", "x"}) + encode_command({"MGET", "app:1"}));
  EXPECT_EQ(c.read_value().str, kWrongPass);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.read_value().str, "NOAUTH Authentication required.");
  // Past the address's three free failures, a failure is answered late, and the next one on
  // the same connection closes it (hostile_auth_test.cpp has the details).
  EXPECT_EQ(c.command({"AUTH", "mallory", kAlicePass}).str, kWrongPass);
  c.send_command({"AUTH", "mallory", "again"});
  EXPECT_TRUE(c.closed_by_peer());
  RespConnection hello(funnel_->port());
  EXPECT_EQ(hello.command({"HELLO", "3", "AUTH", "alice", "nope"}).str, kWrongPass);
  RespConnection direct(redis_->port());
  direct.command({"AUTH", kBackendPass});
  EXPECT_EQ(direct.command({"GET", "app:1"}).str, "secret-data");
}

TEST_F(SecurityTest, ReadOnlyPrefixUserCannotWriteOrReadOtherKeys) {
  start_with_users();
  auto writer = login("writer", kWriterPass);
  // The client's own user, not the one Funnel's backend links log in as.
  EXPECT_EQ(writer->command({"ACL", "WHOAMI"}).str, "writer");
  writer->command({"SET", "app:1", "mine"});
  writer->command({"SET", "other", "theirs"});
  auto alice = login("alice", kAlicePass);
  EXPECT_EQ(alice->command({"GET", "app:1"}).str, "mine");
  EXPECT_EQ(alice->command({"SET", "app:1", "x"}).str,
            "NOPERM this user has no permissions to run the 'set' command");
  EXPECT_EQ(alice->command({"GET", "other"}).str,
            "NOPERM this user has no permissions to access one of the keys used as arguments");
  EXPECT_EQ(alice->command({"MGET", "app:1", "other"}).str,
            "NOPERM this user has no permissions to access one of the keys used as arguments");
  EXPECT_EQ(alice->command({"CONFIG", "GET", "requirepass"}).str,
            "NOPERM this user has no permissions to run the 'config|get' command");
  // HELLO AUTH switches the connection's user and protocol at once.
  RespConnection hello(funnel_->port());
  const resp::Value map = hello.command({"HELLO", "3", "AUTH", "alice", kAlicePass});
  ASSERT_EQ(map.type, resp::ValueType::kMap);
  EXPECT_EQ(hello.command({"GET", "app:1"}).str, "mine");
  EXPECT_EQ(hello.command({"DEL", "app:1"}).str,
            "NOPERM this user has no permissions to run the 'del' command");
  EXPECT_EQ(writer->command({"GET", "app:1"}).str, "mine");
}

// The same user with the same rules, on redis-server itself (ACL SETUSER) and through Funnel:
// every refusal must be byte for byte what Redis 7 says.
TEST_F(SecurityTest, RefusalsMatchRedisServerByteForByte) {
  start_with_users();
  RespConnection admin(redis_->port());
  admin.command({"AUTH", kBackendPass});
  ASSERT_EQ(admin
                .command({"ACL", "SETUSER", "alice", "on", std::string(">") + kAlicePass, "~app:*",
                          "+@read"})
                .str,
            "OK");
  RespConnection direct(redis_->port());
  RespConnection proxied(funnel_->port());
  const std::vector<std::vector<std::string>> before_auth = {
      {"GET", "app:1"}, {"AUTH", "alice", "nope"}, {"AUTH", "nobody", "x"}};
  for (const auto& command : before_auth) {
    direct.send_command(command);
    proxied.send_command(command);
    EXPECT_EQ(proxied.read_raw_reply(), direct.read_raw_reply()) << command[0];
  }
  ASSERT_EQ(direct.command({"AUTH", "alice", kAlicePass}).str, "OK");
  ASSERT_EQ(proxied.command({"AUTH", "alice", kAlicePass}).str, "OK");
  const std::vector<std::vector<std::string>> after_auth = {{"SET", "app:1", "x"},
                                                            {"GET", "other"},
                                                            {"MGET", "app:1", "other"},
                                                            {"CONFIG", "GET", "maxmemory"},
                                                            {"PING"},
                                                            {"FLUSHALL"},
                                                            {"CLUSTER", "INFO"},
                                                            {"EVAL_RO", "return 1", "1", "other"},
                                                            {"ZUNION", "2", "app:a", "other"},
                                                            {"XREAD", "STREAMS", "other", "0"},
                                                            {"GET", "app:1"}};
  for (const auto& command : after_auth) {
    direct.send_command(command);
    proxied.send_command(command);
    EXPECT_EQ(proxied.read_raw_reply(), direct.read_raw_reply()) << command[0];
  }
}

TEST_F(SecurityTest, DeniedCommandsGetNopermUnlessTheUserNamesThem) {
  start_with_users();
  auto writer = login("writer", kWriterPass);
  writer->command({"SET", "keep", "1"});
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"FLUSHALL"},
                                             {"FLUSHDB"},
                                             {"CONFIG", "GET", "requirepass"},
                                             {"SHUTDOWN"},
                                             {"DEBUG", "SLEEP", "0"},
                                             {"MONITOR"},
                                             {"REPLICAOF", "NO", "ONE"},
                                             {"ACL", "SETUSER", "x"},
                                             {"BGSAVE"},
                                             {"CLIENT", "KILL", "ID", "1"},
                                             {"MODULE", "LIST"}}) {
    std::string name = command[0];
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (command.size() > 1 && (name == "config" || name == "acl" || name == "script" ||
                               name == "client" || name == "module")) {
      std::string sub = command[1];
      for (char& ch : sub) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      name += "|" + sub;
    }
    EXPECT_EQ(writer->command(command).str,
              "NOPERM this user has no permissions to run the '" + name + "' command");
  }
  EXPECT_EQ(writer->command({"GET", "keep"}).str, "1");
  auto ops = login("ops", kOpsPass);
  const resp::Value config = ops->command({"CONFIG", "GET", "maxmemory"});
  EXPECT_EQ(config.type, resp::ValueType::kArray) << config.str;
  EXPECT_EQ(ops->command({"FLUSHDB"}).str, "OK");
  EXPECT_EQ(ops->command({"FLUSHALL"}).str,
            "NOPERM this user has no permissions to run the 'flushall' command");
  EXPECT_TRUE(writer->command({"GET", "keep"}).is_null());
}

TEST_F(SecurityTest, UnauthenticatedClientsMaySendOnlySmallRequests) {
  start_with_users();
  RespConnection c(funnel_->port());
  c.send_command({"SET", "app:big", std::string(64 * 1024, 'x')});
  const resp::Value reply = c.read_value();
  EXPECT_EQ(reply.str.rfind("ERR funnel: request too large for a client that has not "
                            "authenticated (at most 4096 bytes before AUTH",
                            0),
            0u)
      << reply.str;
  EXPECT_TRUE(c.closed_by_peer());
  RespConnection huge_count(funnel_->port());
  huge_count.send_raw("*100000\r\n");
  EXPECT_EQ(huge_count.read_value().str.rfind("ERR funnel: request too large", 0), 0u);
  EXPECT_TRUE(huge_count.closed_by_peer());
  // The same request after AUTH is fine, and a long password still fits before AUTH.
  auto writer = login("writer", kWriterPass);
  EXPECT_EQ(writer->command({"SET", "app:big", std::string(64 * 1024, 'x')}).str, "OK");
  RespConnection long_guess(funnel_->port());
  EXPECT_EQ(long_guess.command({"AUTH", "alice", std::string(3000, 'p')}).str, kWrongPass);
}

TEST_F(SecurityTest, RepeatedFailuresFromOneAddressAreSlowedDown) {
  start_with_users();
  RespConnection c(funnel_->port());
  std::string burst;
  for (int i = 0; i < 6; ++i) burst += encode_command({"AUTH", "alice", "guess"});
  const auto started = std::chrono::steady_clock::now();
  c.send_raw(burst);
  // Three free failures, then the 4th is answered after 100 ms, and the 5th (the connection's
  // second failure past the budget) closes the connection unanswered.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.read_value().str, kWrongPass);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
  EXPECT_TRUE(c.closed_by_peer());
  // The right password is never slowed (a delay for failures, not a ban on the address).
  RespConnection again(funnel_->port());
  const auto right = std::chrono::steady_clock::now();
  EXPECT_EQ(again.command({"AUTH", "alice", kAlicePass}).str, "OK");
  EXPECT_LT(std::chrono::steady_clock::now() - right, 500ms);
}

TEST_F(SecurityTest, SecretsAppearInNoLogInfoOrMetrics) {
  start_with_users();
  const std::string bearer = std::string("Authorization: Bearer ") + kAdminToken + "\r\n";
  {
    auto writer = login("writer", kWriterPass);
    login("alice", kAlicePass);
    login("ops", kOpsPass);
    RespConnection wrong(funnel_->port());
    wrong.command({"AUTH", "alice", kWriterPass});
    const std::string info = writer->command({"INFO", "everything"}).str;
    const std::string metrics = http_get(admin_port_, "/metrics", bearer).body;
    const std::string stats = http_get(admin_port_, "/stats", bearer).body;
    ASSERT_NE(metrics.find("funnel_"), std::string::npos);
    EXPECT_NE(metrics.find("funnel_client_permission_denied_total 0"), std::string::npos);
    EXPECT_EQ(writer->command({"FLUSHALL"}).type, resp::ValueType::kError);
    EXPECT_TRUE(wait_until([&] {
      return http_get(admin_port_, "/metrics", bearer)
                 .body.find("funnel_client_permission_denied_total 1") != std::string::npos;
    }));
    for (const char* secret : {kAlicePass, kWriterPass, kOpsPass, kBackendPass, kAdminToken}) {
      EXPECT_EQ(info.find(secret), std::string::npos) << secret;
      EXPECT_EQ(metrics.find(secret), std::string::npos) << secret;
      EXPECT_EQ(stats.find(secret), std::string::npos) << secret;
    }
    EXPECT_NE(writer->command({"CLIENT", "INFO"}).str.find(" user=writer "), std::string::npos);
  }
  funnel_->stop();
  const std::string log = funnel_->log_text();
  for (const char* secret : {kAlicePass, kWriterPass, kOpsPass, kBackendPass, kAdminToken}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << "\n" << log;
  }
}

TEST_F(SecurityTest, AdminEndpointNeedsItsTokenAndBindsLoopback) {
  start_with_users();
  EXPECT_EQ(http_get(admin_port_, "/metrics").status, 401);
  EXPECT_EQ(http_get(admin_port_, "/healthz", "Authorization: Bearer wrong\r\n").status, 401);
  EXPECT_EQ(http_get(admin_port_, "/healthz",
                     std::string("Authorization: Bearer ") + kAdminToken + "\r\n")
                .status,
            200);
  // "--admin PORT" bound the loopback address, not every interface.
  EXPECT_NE(funnel_->log_text().find("admin HTTP on 127.0.0.1:" + std::to_string(admin_port_) +
                                     " (/metrics /healthz /readyz /backends /stats), bearer "
                                     "token required"),
            std::string::npos)
      << funnel_->log_text();
}

TEST(AdminExposureTest, NonLoopbackAdminWithoutTokenRefusesToStart) {
  auto redis = RedisServer::start();
  try {
    auto funnel = FunnelProcess::start({"--backend", backend_arg(redis->port()), "--admin",
                                        "0.0.0.0:" + std::to_string(free_port())});
    ADD_FAILURE() << "funnel started with an open admin endpoint";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("needs a bearer token"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace funnel::test

namespace funnel::test {
namespace {

// ElastiCache-style password rotation: the backend gets a new password, the file is updated,
// SIGHUP re-reads it; open links keep working and links opened afterwards use the new one.
TEST(BackendCredentialsTest, SighupRereadsThePasswordForNewLinks) {
  constexpr const char* kOld = "rotate-Old-1f0";
  constexpr const char* kNew = "rotate-New-2b7";
  TempDir dir("funnel-rotate");
  auto redis = RedisServer::start({"--requirepass", kOld});
  const std::string pass_file = dir.write("backend.pass", kOld);
  auto funnel =
      FunnelProcess::start({"--backend", backend_arg(redis->port()), "--backend-password-file",
                            pass_file, "--workers", "1", "--log-level", "debug"});
  RespConnection c(funnel->port());
  EXPECT_EQ(c.command({"SET", "k", "v"}).str, "OK");

  RespConnection direct(redis->port());
  EXPECT_EQ(direct.command({"AUTH", kOld}).str, "OK");
  EXPECT_EQ(direct.command({"CONFIG", "SET", "requirepass", kNew}).str, "OK");
  dir.write("backend.pass", std::string(kNew) + "\n");
  funnel->signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    return funnel->log_text().find("SIGHUP: backend credentials re-read") != std::string::npos;
  })) << funnel->log_text();
  EXPECT_EQ(c.command({"GET", "k"}).str, "v");  // the open link keeps working

  // Drop every Funnel link: the ones Funnel opens next must authenticate with the new secret.
  const std::string list = direct.command({"CLIENT", "LIST"}).str;
  std::size_t killed = 0;
  for (std::size_t pos = 0; (pos = list.find("id=", pos)) != std::string::npos;) {
    const std::size_t line_end = list.find('\n', pos);
    const std::string line = list.substr(pos, line_end - pos);
    pos = line_end;
    if (line.find("name=funnel:") == std::string::npos) continue;
    const std::string id = line.substr(3, line.find(' ') - 3);
    direct.command({"CLIENT", "KILL", "ID", id});
    ++killed;
  }
  EXPECT_GT(killed, 0u);
  EXPECT_TRUE(wait_until([&] {
    RespConnection fresh(funnel->port());
    return fresh.command({"GET", "k"}).str == "v";
  })) << funnel->log_text();
  EXPECT_EQ(funnel->stop(), 0);
  const std::string log = funnel->log_text();
  EXPECT_EQ(log.find(kOld), std::string::npos) << log;
  EXPECT_EQ(log.find(kNew), std::string::npos) << log;
}

}  // namespace
}  // namespace funnel::test
