// Hostile scripts (issue #14, items 4, 6 and 10) against a real redis-server: a script never does
// what its caller could not do directly (the deny list holds inside scripts, restricted users may
// not run them), a script's own READONLY error is not a failover, and SCRIPT KILL reaches a
// runaway script that occupies the client's shared link.
#include <chrono>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "security/password_hash.hpp"

namespace funnel::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAppPass = "app-Pass-91c";
constexpr const char* kAdminPass = "admin-Pass-4f0";
constexpr const char* kScriptNoPerm = "The user executing the script can't run this command";

std::string eval_error(RespConnection& c, const std::string& script) {
  const resp::Value reply = c.command({"EVAL", script, "0"});
  return reply.is_error() ? reply.str : "(no error: " + reply.str + ")";
}

// The ids of Funnel's links on the backend (CLIENT LIST "id=... name=funnel:shared...").
std::vector<std::string> shared_link_ids(std::uint16_t redis_port) {
  RespConnection direct(redis_port);
  const std::string text = direct.command({"CLIENT", "LIST"}).str;
  std::vector<std::string> ids;
  std::size_t line = 0;
  while (line < text.size()) {
    const std::size_t end = std::min(text.find('\n', line), text.size());
    const std::string entry = text.substr(line, end - line);
    if (entry.find("name=funnel:shared:") != std::string::npos) {
      ids.push_back(entry.substr(3, entry.find(' ') - 3));
    }
    line = end + 1;
  }
  return ids;
}

class HostileScriptsTest : public ProxyFixture {
 protected:
  // Funnel with an unrestricted "admin" and a restricted "app" (~app:* +@all -@dangerous).
  void start_with_users(std::vector<std::string> extra = {}) {
    redis_ = RedisServer::start();
    const std::string config =
        dir_.write("funnel.toml", "[[users]]\nname = \"app\"\npassword_sha256 = \"" +
                                      security::to_hex(security::sha256(kAppPass)) +
                                      "\"\nrules = \"~app:* +@all -@dangerous\"\n\n"
                                      "[[users]]\nname = \"admin\"\npassword_sha256 = \"" +
                                      security::to_hex(security::sha256(kAdminPass)) +
                                      "\"\nrules = \"allkeys +@all\"\n");
    std::vector<std::string> args = {"--config", config, "--backend", backend_arg(redis_->port())};
    args.insert(args.end(), extra.begin(), extra.end());
    funnel_ = FunnelProcess::start(args);
  }
  std::unique_ptr<RespConnection> login(const std::string& user, const std::string& pass) {
    auto c = std::make_unique<RespConnection>(funnel_->port());
    EXPECT_EQ(c->command({"AUTH", user, pass}).str, "OK") << user;
    return c;
  }

  TempDir dir_{"funnel-scripts"};
};

// Before: FLUSHDB and FLUSHALL ran inside EVAL for every user (the links were the backend's
// default user), wiping the database.
TEST_F(HostileScriptsTest, TheDenyListHoldsInsideScripts) {
  start();
  RespConnection c(funnel_->port());
  ASSERT_EQ(c.command({"SET", "keep", "1"}).str, "OK");
  EXPECT_EQ(
      c.command({"EVAL", "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])",
                 "1", "k", "v"})
          .str,
      "v");
  EXPECT_NE(eval_error(c, "return redis.call('FLUSHDB')").find(kScriptNoPerm), std::string::npos);
  EXPECT_NE(eval_error(c, "return redis.call('FLUSHALL')").find(kScriptNoPerm), std::string::npos);
  EXPECT_NE(eval_error(c, "return redis.call('CONFIG', 'SET', 'maxmemory', '1')").find("ERR"),
            std::string::npos);
  EXPECT_EQ(c.command({"GET", "keep"}).str, "1");
  RespConnection direct(redis_->port());
  EXPECT_EQ(direct.command({"CONFIG", "GET", "maxmemory"}).elems.at(1).str, "0");
  // The links run as Funnel's backend user, which lacks the deny list's commands.
  const resp::Value users = direct.command({"ACL", "LIST"});
  bool provisioned = false;
  for (const resp::Value& user : users.elems) {
    provisioned |= user.str.rfind("user funnel-", 0) == 0 &&
                   user.str.find("-flushall") != std::string::npos &&
                   user.str.find("script|kill") == std::string::npos;
  }
  EXPECT_TRUE(provisioned) << "ACL LIST shows no funnel-... user without flushall";
  const std::string clients = direct.command({"CLIENT", "LIST"}).str;
  EXPECT_NE(clients.find("name=funnel:shared:resp2:db0:0 "), std::string::npos);
  EXPECT_NE(clients.find("user=funnel-"), std::string::npos) << clients;
}

// Before: the restricted user read secret:k, wiped the database and swapped databases by script.
TEST_F(HostileScriptsTest, RestrictedUsersMayNotRunScripts) {
  start_with_users();
  RespConnection direct(redis_->port());
  ASSERT_EQ(direct.command({"SET", "secret:k", "s3cret"}).str, "OK");
  auto app = login("app", kAppPass);
  const resp::Value leak = app->command({"EVAL", "return redis.call('GET','secret:k')", "0"});
  EXPECT_TRUE(leak.is_error());
  EXPECT_EQ(leak.str.find("s3cret"), std::string::npos);
  EXPECT_EQ(leak.str,
            "NOPERM funnel: this user may not run scripts: its key patterns cannot be enforced "
            "inside a script; send the script's commands directly, or give the user allkeys "
            "(docs/security.md#scripts)");
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"EVAL", "return redis.call('FLUSHALL')", "0"},
           {"EVAL_RO", "return 1", "0"},
           {"EVAL", "return redis.call('SWAPDB', 0, 1)", "0"},
           {"EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"},
           {"FCALL", "f", "0"},
           {"FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() end)"}}) {
    const resp::Value reply = app->command(command);
    EXPECT_EQ(reply.str.rfind("NOPERM funnel: this user may not run scripts", 0), 0u)
        << command[0] << ": " << reply.str;
  }
  // Refused inside a transaction too (EXEC then aborts, as Redis does for a refused command).
  EXPECT_EQ(app->command({"MULTI"}).str, "OK");
  EXPECT_TRUE(app->command({"EVAL", "return redis.call('FLUSHALL')", "0"}).is_error());
  EXPECT_EQ(app->command({"EXEC"}).str.rfind("EXECABORT", 0), 0u);
  EXPECT_EQ(direct.command({"GET", "secret:k"}).str, "s3cret");
  EXPECT_EQ(app->command({"SET", "app:1", "x"}).str, "OK");
  // An unrestricted user keeps scripts (and the deny list still holds inside them).
  auto admin = login("admin", kAdminPass);
  EXPECT_EQ(admin->command({"EVAL", "return redis.call('GET','secret:k')", "0"}).str, "s3cret");
  EXPECT_NE(eval_error(*admin, "return redis.call('FLUSHALL')").find(kScriptNoPerm),
            std::string::npos);
}

// The backend user is provisioned by every link's handshake, so a restarted backend (which has
// forgotten it) gets it back with the reconnecting links.
TEST_F(HostileScriptsTest, TheDenyListHoldsAfterABackendRestart) {
  start();
  RespConnection c(funnel_->port());
  EXPECT_NE(eval_error(c, "return redis.call('FLUSHDB')").find(kScriptNoPerm), std::string::npos);
  redis_->restart();
  // Until the links are back, Funnel answers with its "backend unavailable" errors.
  ASSERT_TRUE(wait_until(
      [&] {
        return c.command({"EVAL", "return redis.call('SET', 'back', '1')", "0"}).str == "OK";
      },
      20s));
  EXPECT_NE(eval_error(c, "return redis.call('FLUSHDB')").find(kScriptNoPerm), std::string::npos);
  RespConnection direct(redis_->port());
  EXPECT_EQ(direct.command({"GET", "back"}).str, "1");
}

// A backend whose user may not run ACL SETUSER (a managed service's restricted user): Funnel
// cannot make the deny list hold inside scripts, so it refuses them, unless the operator says
// backend.user already lacks the denied commands.
TEST_F(HostileScriptsTest, ScriptsAreRefusedWhereTheBackendCannotEnforceTheDenyList) {
  for (const bool trusted : {false, true}) {
    SCOPED_TRACE(trusted ? "with auth.backend_enforces_deny_list" : "default");
    redis_ = RedisServer::start();
    RespConnection admin(redis_->port());
    ASSERT_EQ(admin
                  .command({"ACL", "SETUSER", "limited", "on", ">limited-Pass-1", "~*", "&*",
                            "+@all", "-acl|setuser", "-flushall", "-flushdb"})
                  .str,
              "OK");
    std::vector<std::string> args = {
        "--backend", backend_arg(redis_->port()), "--backend-user",
        "limited",   "--backend-password-file",   dir_.write("limited.pass", "limited-Pass-1")};
    if (trusted) args.insert(args.end(), {"--backend-enforces-deny-list", "1"});
    funnel_ = FunnelProcess::start(args);
    RespConnection c(funnel_->port());
    EXPECT_EQ(c.command({"SET", "k", "v"}).str, "OK");
    const resp::Value reply = c.command({"EVAL", "return redis.call('GET', 'k')", "0"});
    if (trusted) {
      EXPECT_EQ(reply.str, "v");
    } else {
      EXPECT_EQ(reply.str.rfind("NOPERM funnel: scripts are refused: the backend refused ACL "
                                "SETUSER",
                                0),
                0u)
          << reply.str;
      EXPECT_NE(funnel_->log_text().find("refused ACL SETUSER"), std::string::npos);
    }
    EXPECT_EQ(c.command({"GET", "k"}).str, "v");
    EXPECT_EQ(funnel_->stop(), 0);
    funnel_.reset();
  }
}

// Before: the script's READONLY error made Funnel re-resolve, replace every link and run the
// script a second time (counter == 2).
TEST_F(HostileScriptsTest, AScriptsOwnReadonlyErrorIsNotAFailover) {
  start({"--connections-per-node", "1", "--workers", "1"});
  RespConnection c(funnel_->port());
  RespConnection other(funnel_->port());
  ASSERT_EQ(other.command({"SET", "k", "v"}).str, "OK");
  const std::vector<std::string> before = shared_link_ids(redis_->port());
  ASSERT_FALSE(before.empty());
  c.send_command(
      {"EVAL", "redis.call('INCR', 'counter') return redis.error_reply('READONLY x')", "0"});
  other.send_command({"GET", "k"});
  EXPECT_EQ(c.read_raw_reply(), "-READONLY x\r\n");
  EXPECT_EQ(other.read_value().str, "v");
  EXPECT_EQ(other.command({"GET", "counter"}).str, "1");
  EXPECT_EQ(shared_link_ids(redis_->port()), before);
  EXPECT_EQ(funnel_->log_text().find("re-resolving"), std::string::npos);
}

void expect_kill_stops_runaway(std::uint16_t funnel_port, std::uint16_t redis_port,
                               const std::vector<std::string>& runaway,
                               const std::string& kill_subject) {
  RespConnection runner(funnel_port, 20s);
  RespConnection killer(funnel_port);
  RespConnection direct(redis_port);
  runner.send_command(runaway);
  // Busy once the script has run past busy-reply-threshold (100 ms).
  ASSERT_TRUE(wait_until([&] { return direct.command({"PING"}).is_error(); }));
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(killer.command({kill_subject, "KILL"}).str, "OK");
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 1s);
  const resp::Value killed = runner.read_value();
  EXPECT_TRUE(killed.is_error());
  EXPECT_NE(killed.str.find("killed by user"), std::string::npos) << killed.str;
  // The shared link serves requests again.
  EXPECT_EQ(runner.command({"SET", "after", "1"}).str, "OK");
  EXPECT_EQ(killer.command({"GET", "after"}).str, "1");
}

// Before: SCRIPT KILL was on the default deny list, and would have queued on the shared link
// behind the script it was meant to stop.
TEST_F(HostileScriptsTest, ScriptKillStopsARunawayScriptOnTheSharedLink) {
  redis_ = RedisServer::start({"--busy-reply-threshold", "100"});
  funnel_ = FunnelProcess::start(
      {"--backend", backend_arg(redis_->port()), "--connections-per-node", "1", "--workers", "1"});
  expect_kill_stops_runaway(funnel_->port(), redis_->port(), {"EVAL", "while true do end", "0"},
                            "SCRIPT");
  RespConnection c(funnel_->port());
  ASSERT_EQ(c.command({"FUNCTION", "LOAD",
                       "#!lua name=spin\nredis.register_function{function_name='spin', "
                       "callback=function() while true do end end, flags={'no-writes'}}"})
                .str,
            "spin");
  expect_kill_stops_runaway(funnel_->port(), redis_->port(), {"FCALL", "spin", "0"}, "FUNCTION");
  // With nothing running, Redis's own answer comes back.
  EXPECT_EQ(c.command({"SCRIPT", "KILL"}).str.rfind("NOTBUSY", 0), 0u);
}

}  // namespace
}  // namespace funnel::test
