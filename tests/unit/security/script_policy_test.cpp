// The script rules (issue #14 item 4): which commands run scripts, the verdict table, the
// ScriptGate's transitions, and the backend user Funnel provisions (name, rules, password).
#include <gtest/gtest.h>

#include "security/backend_user.hpp"
#include "security/password_hash.hpp"
#include "security/script_policy.hpp"

namespace funnel::security {
namespace {

using State = ScriptGate::State;

TEST(ScriptPolicy, VerdictTable) {
  struct Case {
    ScriptRights rights;
    State gate;
    ScriptVerdict expected;
  };
  const Case cases[] = {
      {ScriptRights::kAll, State::kNotNeeded, ScriptVerdict::kAllowed},
      {ScriptRights::kAll, State::kTrusted, ScriptVerdict::kAllowed},
      {ScriptRights::kAll, State::kEnforced, ScriptVerdict::kAllowed},
      {ScriptRights::kAll, State::kUnenforced, ScriptVerdict::kBackendRefused},
      {ScriptRights::kAll, State::kUnknown, ScriptVerdict::kBackendUnknown},
      // The user's own rules come first: they never change.
      {ScriptRights::kKeyPatterns, State::kEnforced, ScriptVerdict::kKeyPatterns},
      {ScriptRights::kKeyPatterns, State::kNotNeeded, ScriptVerdict::kKeyPatterns},
      {ScriptRights::kCommandRules, State::kTrusted, ScriptVerdict::kCommandRules},
      {ScriptRights::kMissingGrants, State::kUnenforced, ScriptVerdict::kMissingGrants},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(script_verdict(c.rights, c.gate), c.expected)
        << static_cast<int>(c.rights) << "/" << static_cast<int>(c.gate);
  }
  EXPECT_EQ(script_refusal(ScriptVerdict::kAllowed), "");
  for (ScriptVerdict v :
       {ScriptVerdict::kKeyPatterns, ScriptVerdict::kCommandRules, ScriptVerdict::kMissingGrants,
        ScriptVerdict::kBackendRefused, ScriptVerdict::kBackendUnknown}) {
    const std::string text = script_refusal(v);
    EXPECT_EQ(text.rfind("NOPERM funnel: ", 0), 0u) << text;
    EXPECT_NE(text.find("docs/security.md#scripts"), std::string::npos) << text;
  }
}

TEST(ScriptPolicy, ScriptCommandsByNameAndId) {
  const auto row = [](std::string name) {
    command::CommandSpec spec;
    spec.name = std::move(name);
    return spec;
  };
  for (const char* name : {"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"}) {
    EXPECT_EQ(script_command(row(name)), ScriptCommand::kRuns) << name;
    EXPECT_TRUE(runs_script(command::command_id(name))) << name;
  }
  EXPECT_EQ(script_command(row("function|load")), ScriptCommand::kDefines);
  EXPECT_EQ(script_command(row("function|restore")), ScriptCommand::kDefines);
  for (const char* name : {"function|list", "script|load", "script|kill", "get"}) {
    EXPECT_EQ(script_command(row(name)), ScriptCommand::kNone) << name;
  }
  EXPECT_FALSE(runs_script(command::command_id("get")));
  EXPECT_FALSE(runs_script(0));
}

TEST(ScriptPolicy, GateStartsFromTheConfigAndRefusalIsSticky) {
  ScriptGate gate;
  gate.configure(true, false);
  EXPECT_EQ(gate.state(), State::kNotNeeded);
  EXPECT_FALSE(gate.provisions());
  gate.configure(false, true);
  EXPECT_EQ(gate.state(), State::kTrusted);
  EXPECT_FALSE(gate.provisions());
  gate.configure(false, false);
  EXPECT_EQ(gate.state(), State::kUnknown);
  EXPECT_TRUE(gate.provisions());
  gate.report_enforced();
  EXPECT_EQ(gate.state(), State::kEnforced);
  EXPECT_TRUE(gate.report_refused("NOPERM no ACL SETUSER for you"));
  EXPECT_FALSE(gate.report_refused("again"));  // logged once
  EXPECT_EQ(gate.state(), State::kUnenforced);
  gate.report_enforced();  // a later link that could: other links still run as backend.user
  EXPECT_EQ(gate.state(), State::kUnenforced);
  EXPECT_EQ(gate.refusal(), "NOPERM no ACL SETUSER for you");
}

TEST(BackendUser, RulesRemoveTheDenyListThenGiveBackGrants) {
  BackendUserSpec spec;
  spec.denied = {"flushall", "config", "client|kill", "nosuchcommand", "cluster|nosuch"};
  spec.granted = {"config|get"};
  const auto table = command::CommandTable::builtin();
  const BackendUserPlan plan = plan_backend_user(spec, table.get());
  EXPECT_EQ(plan.rules, (std::vector<std::string>{"+@all", "-flushall", "-config", "-client|kill",
                                                  "+config|get"}));
  EXPECT_EQ(plan.name.rfind("funnel-", 0), 0u);
  EXPECT_EQ(plan.name.size(), 7u + 16u);
  // Deterministic: the same rules give the same name; other rules another.
  EXPECT_EQ(plan_backend_user(spec, table.get()).name, plan.name);
  spec.granted.clear();
  EXPECT_NE(plan_backend_user(spec, table.get()).name, plan.name);
  // Without a table every name is kept.
  EXPECT_EQ(plan_backend_user(spec, nullptr).rules.size(), 6u);
}

TEST(BackendUser, PasswordIsAnHmacOfTheBackendPasswordAndOnlyItsHashIsSent) {
  const std::string backend = "backend-secret";
  const std::string password = backend_user_password(&backend, "funnel-0123456789abcdef");
  EXPECT_EQ(password.size(), 64u);
  EXPECT_EQ(password, backend_user_password(&backend, "funnel-0123456789abcdef"));
  EXPECT_NE(password, backend_user_password(&backend, "funnel-fedcba9876543210"));
  const std::string rotated = "backend-secret-2";
  EXPECT_NE(password, backend_user_password(&rotated, "funnel-0123456789abcdef"));
  EXPECT_EQ(backend_user_password(nullptr, "funnel-x"), "");
  // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
  const std::string jefe = "Jefe";
  EXPECT_EQ(backend_user_password(&jefe, "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

  BackendUserPlan plan{"funnel-x", {"+@all", "-flushall"}};
  const auto args = setuser_arguments(plan, password);
  EXPECT_EQ(args,
            (std::vector<std::string>{"funnel-x", "reset", "on", "#" + to_hex(sha256(password)),
                                      "~*", "&*", "+@all", "-flushall"}));
  for (const std::string& arg : args) EXPECT_EQ(arg.find(password), std::string::npos);
  EXPECT_EQ(setuser_arguments(plan, "")[3], "nopass");
}

}  // namespace
}  // namespace funnel::security
