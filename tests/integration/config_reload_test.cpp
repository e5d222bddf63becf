// Configuration reload (issue #17, item 1) through FUNNEL RELOAD, POST /reload and SIGHUP against
// a real redis-server: the keys that change live are applied, the others are named as needing a
// restart, and an invalid file changes nothing and is reported (reply, log, metric). Before this
// change FUNNEL RELOAD was "ERR unknown subcommand" and POST /reload a 405.
#include "harness.hpp"
#include "support/http_get.hpp"

namespace funnel::test {
namespace {

constexpr const char* kToken = "reload-test-token";

std::string auth_header() {
  return std::string("Authorization: Bearer ") + kToken + "\r\n";
}

long long reloads(std::uint16_t admin_port, const std::string& result) {
  const std::string body = http_get(admin_port, "/metrics", auth_header()).body;
  const std::string name = "funnel_config_reloads_total{result=\"" + result + "\"} ";
  const std::size_t at = body.find(name);
  return at == std::string::npos ? -1 : std::stoll(body.substr(at + name.size()));
}

TEST(ConfigReloadTest, AppliesLiveKeysNamesTheOthersAndRefusesAnInvalidFile) {
  TempDir dir("funnel-reload");
  auto redis = RedisServer::start();
  const std::uint16_t admin_port = free_port();
  const std::string file = dir.write("funnel.toml", "[log]\nlevel = \"info\"\n");
  auto funnel = FunnelProcess::start({"--config", file, "--backend", backend_arg(redis->port()),
                                      "--admin", "127.0.0.1:" + std::to_string(admin_port),
                                      "--admin-token-file", dir.write("admin.token", kToken)});
  RespConnection client(funnel->port());
  // The admin listener opens just after the client one that FunnelProcess waits for.
  ASSERT_TRUE(wait_until([&] { return reloads(admin_port, "applied") == 0; }));

  dir.write("funnel.toml", "[log]\nlevel = \"warn\"\n[server]\nworkers = 3\n");
  const resp::Value applied = client.command({"FUNNEL", "RELOAD"});
  EXPECT_FALSE(applied.is_error()) << applied.str;
  EXPECT_NE(applied.str.find("applied log.level"), std::string::npos) << applied.str;
  EXPECT_NE(applied.str.find("kept until a restart: server.workers"), std::string::npos)
      << applied.str;
  EXPECT_NE(applied.str.find("funnel --takeover"), std::string::npos) << applied.str;
  EXPECT_EQ(reloads(admin_port, "applied"), 1);

  dir.write("funnel.toml", "[server]\nmax_clients = \"many\"\n");
  const resp::Value invalid = client.command({"FUNNEL", "RELOAD"});
  EXPECT_TRUE(invalid.is_error());
  EXPECT_EQ(invalid.str.rfind("ERR funnel: reload failed, nothing changed: ", 0), 0u)
      << invalid.str;
  EXPECT_NE(invalid.str.find("max_clients"), std::string::npos) << invalid.str;
  EXPECT_EQ(reloads(admin_port, "invalid"), 1);
  EXPECT_EQ(http_request(admin_port, "POST", "/reload", auth_header()).status, 400);
  EXPECT_EQ(http_request(admin_port, "POST", "/reload").status, 401);  // the token rules
  EXPECT_EQ(client.command({"SET", "k", "v"}).str, "OK");              // still serving
  EXPECT_EQ(client.command({"GET", "k"}).str, "v");

  dir.write("funnel.toml", "[log]\nlevel = \"info\"\n");
  const HttpReply posted = http_request(admin_port, "POST", "/reload", auth_header());
  EXPECT_EQ(posted.status, 200) << posted.body;
  EXPECT_NE(posted.body.find("applied log.level"), std::string::npos) << posted.body;
  funnel->signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] { return reloads(admin_port, "applied") == 3; }))
      << reloads(admin_port, "applied");
  EXPECT_NE(funnel->log_text().find("configuration reload failed, nothing changed"),
            std::string::npos);
}

// Only users with all commands run FUNNEL, RELOAD included (docs/security.md).
TEST(ConfigReloadTest, NonAdminUsersAreRefused) {
  TempDir dir("funnel-reload");
  auto redis = RedisServer::start();
  const std::string file =
      dir.write("funnel.toml", "[[users]]\nname = \"app\"\npassword_file = \"" +
                                   dir.write("app.pass", "app-secret\n") +
                                   "\"\nrules = \"allkeys +@read +@write +@connection\"\n");
  auto funnel = FunnelProcess::start({"--config", file, "--backend", backend_arg(redis->port())});
  RespConnection app(funnel->port());
  ASSERT_EQ(app.command({"AUTH", "app", "app-secret"}).str, "OK");
  const resp::Value refused = app.command({"FUNNEL", "RELOAD"});
  EXPECT_EQ(refused.str.rfind("NOPERM", 0), 0u) << refused.str;
}

}  // namespace
}  // namespace funnel::test
