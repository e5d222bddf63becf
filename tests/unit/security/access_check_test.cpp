// The per-request check: command rules, the deny list, key positions (fixed and movable), and
// Redis 7.0's NOPERM texts.
#include <gtest/gtest.h>

#include "command/classify.hpp"
#include "request_helpers.hpp"
#include "security/access_check.hpp"
#include "security/key_positions.hpp"

namespace funnel::security {
namespace {

using command::test::ParsedRequest;

class AccessCheckTest : public ::testing::Test {
 protected:
  // Builds a directory with one user "u" having `rules` and the given deny list.
  void make(const std::string& rules, const std::string& deny = "@default") {
    config::AuthConfig auth;
    config::UserConfig user;
    user.name = "u";
    user.rules = "nopass " + rules;
    auth.users.push_back(user);
    auth.deny_commands = deny;
    directory_ = UserDirectory::build(auth);
  }
  // "OK", or the error text.
  std::string run(const std::vector<std::string>& args) {
    ParsedRequest request(args);
    command::Classification cls;
    command::classify(*table_, request.get(), cls);
    EXPECT_NE(cls.spec, nullptr) << args[0];
    const User& user = *directory_->find("u");
    if (!access_needs_check(user, directory_->policy(), *cls.spec)) return "OK";
    const Access access = check_access(user, directory_->policy(), *cls.spec, request.get());
    return access == Access::kAllowed ? "OK" : access_error(access, *cls.spec);
  }

  std::shared_ptr<const command::CommandTable> table_ = command::CommandTable::builtin();
  std::shared_ptr<const UserDirectory> directory_;
};

constexpr const char* kNoKey =
    "NOPERM this user has no permissions to access one of the keys used as arguments";

TEST_F(AccessCheckTest, ReadOnlyUserOnAPrefix) {
  make("~app:* +@read");
  EXPECT_EQ(run({"GET", "app:1"}), "OK");
  EXPECT_EQ(run({"GET", "other"}), kNoKey);
  EXPECT_EQ(run({"MGET", "app:1", "other"}), kNoKey);
  EXPECT_EQ(run({"MGET", "app:1", "app:2"}), "OK");
  EXPECT_EQ(run({"SET", "app:1", "v"}),
            "NOPERM this user has no permissions to run the 'set' command");
  EXPECT_EQ(run({"CONFIG", "GET", "x"}),
            "NOPERM this user has no permissions to run the 'config|get' command");
  EXPECT_EQ(run({"PING"}), "NOPERM this user has no permissions to run the 'ping' command");
  EXPECT_EQ(run({"AUTH", "a", "b"}), "OK");  // no-auth commands are always allowed
  EXPECT_EQ(run({"HELLO", "3"}), "OK");
}

TEST_F(AccessCheckTest, DenyListAppliesToEveryoneUnlessNamed) {
  make("allkeys +@all");
  EXPECT_EQ(run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(run({"FLUSHALL"}), "NOPERM this user has no permissions to run the 'flushall' command");
  EXPECT_EQ(run({"CLUSTER", "MEET", "h", "1"}),
            "NOPERM this user has no permissions to run the 'cluster|meet' command");
  EXPECT_EQ(run({"CLUSTER", "INFO"}), "OK");
  EXPECT_EQ(run({"CLIENT", "KILL", "ID", "1"}),
            "NOPERM this user has no permissions to run the 'client|kill' command");
  EXPECT_EQ(run({"ACL", "SETUSER", "x"}),
            "NOPERM this user has no permissions to run the 'acl|setuser' command");
  EXPECT_EQ(run({"ACL", "WHOAMI"}), "OK");
  // SCRIPT KILL only stops a script: off the default list (sent out of band, issue #14).
  EXPECT_EQ(run({"SCRIPT", "KILL"}), "OK");
  EXPECT_EQ(run({"FUNCTION", "KILL"}), "OK");
  EXPECT_EQ(run({"SCRIPT", "EXISTS", "a"}), "OK");
  make("allkeys +@all +flushdb +config|get");
  EXPECT_EQ(run({"FLUSHDB"}), "OK");
  EXPECT_EQ(run({"CONFIG", "GET", "x"}), "OK");
  EXPECT_EQ(run({"CONFIG", "SET", "x", "y"}),
            "NOPERM this user has no permissions to run the 'config|set' command");
  make("allkeys +@all", "");
  EXPECT_EQ(run({"FLUSHALL"}), "OK");
  make("allkeys +@all", "@default -flushdb keys");
  EXPECT_EQ(run({"FLUSHDB"}), "OK");
  EXPECT_EQ(run({"KEYS", "*"}), "NOPERM this user has no permissions to run the 'keys' command");
}

// A command listed whole denies every subcommand; a listed subcommand denies only itself, beside
// its container's other subcommands (the policy's per-id bits and sorted names agree).
TEST_F(AccessCheckTest, DenyListWholeCommandsAndSubcommands) {
  const auto denied = [](std::string_view name) {
    return "NOPERM this user has no permissions to run the '" + std::string(name) + "' command";
  };
  make("allkeys +@all", "client");
  EXPECT_EQ(run({"CLIENT", "ID"}), denied("client|id"));
  EXPECT_EQ(run({"CLIENT", "GETNAME"}), denied("client|getname"));
  make("allkeys +@all", "client|list acl|whoami");
  EXPECT_EQ(run({"CLIENT", "LIST"}), denied("client|list"));
  EXPECT_EQ(run({"CLIENT", "ID"}), "OK");
  EXPECT_EQ(run({"CLIENT", "GETNAME"}), "OK");
  EXPECT_EQ(run({"ACL", "WHOAMI"}), denied("acl|whoami"));
  EXPECT_EQ(run({"ACL", "CAT"}), "OK");
  make("allkeys +@all", "client|list client");
  EXPECT_EQ(run({"CLIENT", "ID"}), denied("client|id"));
  make("allkeys +@all", "client|list client -client");
  EXPECT_EQ(run({"CLIENT", "ID"}), "OK");
  EXPECT_EQ(run({"CLIENT", "LIST"}), denied("client|list"));
}

TEST_F(AccessCheckTest, MovableKeysAreFoundOrRefused) {
  make("~app:* +@all");
  // A script's declared keys are found, but a user with key patterns may not run scripts at
  // all: the script could touch any key (script_policy.hpp).
  const std::string no_scripts =
      "NOPERM funnel: this user may not run scripts: its key patterns cannot be enforced inside "
      "a script; send the script's commands directly, or give the user allkeys "
      "(docs/security.md#scripts)";
  EXPECT_EQ(run({"EVAL", "return 1", "1", "app:x"}), no_scripts);
  EXPECT_EQ(run({"FCALL", "f", "0"}), no_scripts);
  ParsedRequest eval({"EVAL", "return 1", "1", "app:x", "other"});
  std::vector<std::string> keys;
  for_each_key(*table_->find("eval"), eval.get(), [&](std::string_view key) {
    keys.emplace_back(key);
    return true;
  });
  EXPECT_EQ(keys, std::vector<std::string>{"app:x"});  // "other" is an argument, not a key
  EXPECT_EQ(run({"ZUNIONSTORE", "app:d", "2", "app:a", "app:b"}), "OK");
  EXPECT_EQ(run({"ZUNIONSTORE", "app:d", "2", "app:a", "other"}), kNoKey);
  EXPECT_EQ(run({"ZUNIONSTORE", "other", "1", "app:a"}), kNoKey);
  EXPECT_EQ(run({"XREAD", "COUNT", "1", "STREAMS", "app:s", "other", "0", "0"}), kNoKey);
  EXPECT_EQ(run({"XREAD", "STREAMS", "app:s", "0"}), "OK");
  EXPECT_EQ(run({"LMPOP", "1", "app:l", "LEFT"}), "OK");
  // SORT's BY/GET/STORE are not located: refused for a user with key patterns.
  EXPECT_EQ(run({"SORT", "app:l"}), kNoKey);
  make("allkeys +@all");
  EXPECT_EQ(run({"SORT", "app:l"}), "OK");
}

// Which users may run which script commands, for each state of the backend (the verdict table
// itself is in script_policy_test.cpp). The gate is process state shared with the links.
TEST_F(AccessCheckTest, ScriptsRunOnlyWhereTheirCallersRulesHold) {
  struct Case {
    std::string rules;
    std::string deny;
    bool enforced;  // a link provisioned the backend user
    std::vector<std::string> request;
    std::string expected;  // "OK" or the start of the error
  };
  const std::vector<Case> cases = {
      {"allkeys +@all", "@default", true, {"EVAL", "return 1", "0"}, "OK"},
      {"allkeys +@all", "@default", true, {"FCALL_RO", "f", "0"}, "OK"},
      {"allkeys +@all", "@default", true, {"FUNCTION", "LOAD", "x"}, "OK"},
      {"allkeys +@all", "@default", false, {"EVAL", "return 1", "0"}, "NOPERM funnel: scripts"},
      {"allkeys +@all", "@default", false, {"EVALSHA_RO", "abc", "0"}, "NOPERM funnel: scripts"},
      {"allkeys +@all", "@default", false, {"SCRIPT", "LOAD", "return 1"}, "OK"},
      {"allkeys +@all", "@default", false, {"FUNCTION", "LIST"}, "OK"},
      {"allkeys +@all", "", false, {"EVAL", "return 1", "0"}, "OK"},  // nothing to enforce
      {"~app:* +@all", "@default", true, {"EVAL", "return 1", "0"}, "NOPERM funnel: this user"},
      {"allkeys +@all -keys",
       "@default",
       true,
       {"EVAL", "return 1", "0"},
       "NOPERM funnel: this user may not run scripts: its command rules"},
      {"allkeys +@all -@scripting",
       "@default",
       true,
       {"EVAL", "return 1", "0"},
       "NOPERM this user has no permissions to run the 'eval' command"},
      {"allkeys +@all", "@default", true, {"GET", "k"}, "OK"},
  };
  for (const Case& c : cases) {
    make(c.rules, c.deny);
    if (c.enforced) directory_->policy().gate().report_enforced();
    if (!c.enforced) directory_->policy().gate().report_refused("NOPERM");
    EXPECT_EQ(run(c.request).substr(0, c.expected.size()), c.expected)
        << c.rules << " / " << c.request[0] << (c.enforced ? " (enforced)" : " (refused)");
  }
}

TEST(UserDirectoryTest, GrantsOfDeniedCommandsShapeTheBackendUserAndWhoMayRunScripts) {
  config::AuthConfig auth;
  const auto add = [&](const std::string& name, const std::string& rules) {
    config::UserConfig user;
    user.name = name;
    user.rules = "nopass " + rules;
    auth.users.push_back(user);
  };
  add("ops", "allkeys +@all +flushdb +config|get");
  add("app", "allkeys +@all");
  add("reader", "~app:* +@read");
  add("off", "off allkeys +@all +flushall");  // disabled: its grant does not count
  const auto directory = UserDirectory::build(auth);
  EXPECT_EQ(directory->backend_user_spec().granted,
            (std::vector<std::string>{"flushdb", "config|get"}));
  EXPECT_EQ(directory->find("ops")->script_rights(), ScriptRights::kAll);
  EXPECT_EQ(directory->find("app")->script_rights(), ScriptRights::kMissingGrants);
  EXPECT_EQ(directory->find("reader")->script_rights(), ScriptRights::kKeyPatterns);
  EXPECT_EQ(directory->backend_user_spec().denied, directory->policy().names());
}

TEST_F(AccessCheckTest, KeyRangesFromTheTable) {
  ParsedRequest mset({"MSET", "a", "1", "b", "2"});
  const auto ranges = key_ranges(*table_->find("mset"), mset.get());
  EXPECT_EQ(ranges.fixed.first, 1u);
  EXPECT_EQ(ranges.fixed.last, 4u);  // -1: the last argument; step 2 visits 1 and 3
  EXPECT_EQ(ranges.fixed.step, 2u);
  ParsedRequest get({"GET", "k"});
  const auto get_ranges = key_ranges(*table_->find("get"), get.get());
  EXPECT_EQ(get_ranges.fixed.first, 1u);
  EXPECT_EQ(get_ranges.fixed.last, 1u);
}

TEST(UserDirectoryTest, AuthenticatesByHashAndKeepsDefaultClosedWithUsers) {
  config::AuthConfig auth;
  config::UserConfig alice;
  alice.name = "alice";
  alice.password_sha256 = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
  alice.rules = "~app:* +@read";
  auth.users.push_back(alice);
  config::UserConfig bob;
  bob.name = "bob";
  bob.password = "bobs";
  bob.rules = "off +@all";
  auth.users.push_back(bob);
  const auto directory = UserDirectory::build(auth);
  EXPECT_EQ(directory->initial_user(), nullptr);
  EXPECT_FALSE(directory->default_is_nopass());
  ASSERT_NE(directory->authenticate("alice", "pw"), nullptr);
  EXPECT_EQ(directory->authenticate("alice", "pw")->name(), "alice");
  EXPECT_EQ(directory->authenticate("alice", "PW"), nullptr);
  EXPECT_EQ(directory->authenticate("nobody", "pw"), nullptr);
  EXPECT_EQ(directory->authenticate("bob", "bobs"), nullptr);  // disabled
  EXPECT_EQ(directory->authenticate("default", ""), nullptr);
}

TEST(UserDirectoryTest, RequirepassIsTheDefaultUsersPassword) {
  config::AuthConfig open;
  const auto anyone = UserDirectory::build(open);
  ASSERT_NE(anyone->initial_user(), nullptr);
  EXPECT_TRUE(anyone->default_is_nopass());
  config::AuthConfig closed;
  closed.requirepass = "secret";
  const auto directory = UserDirectory::build(closed);
  EXPECT_EQ(directory->initial_user(), nullptr);
  EXPECT_NE(directory->authenticate("default", "secret"), nullptr);
  EXPECT_EQ(directory->authenticate("default", "secreT"), nullptr);
}

TEST(UserDirectoryTest, BadRulesNameTheUser) {
  config::AuthConfig auth;
  config::UserConfig user;
  user.name = "carol";
  user.password = "x";
  user.rules = "+@nosuch";
  auth.users.push_back(user);
  try {
    UserDirectory::build(auth);
    FAIL() << "expected ConfigError";
  } catch (const config::ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("users[0] (carol).rules"), std::string::npos);
  }
  auth.users[0].rules = "+@all";
  auth.users[0].password.reset();
  EXPECT_THROW(UserDirectory::build(auth), config::ConfigError);  // no password, not nopass
  auth.users[0].rules = "nopass +@all";
  auth.deny_commands = "@bogus";
  EXPECT_THROW(UserDirectory::build(auth), config::ConfigError);
}

}  // namespace
}  // namespace funnel::security
