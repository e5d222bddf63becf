// Parsing the ACL subset and evaluating command rules against table rows.
#include <gtest/gtest.h>

#include "command/command_table.hpp"
#include "security/acl_rules.hpp"

namespace funnel::security {
namespace {

const command::CommandSpec& spec(std::string_view name, std::string_view sub = {}) {
  static const auto table = command::CommandTable::builtin();
  const command::CommandSpec* row = table->find(name);
  if (!sub.empty()) row = command::CommandTable::find_subcommand(*row, sub);
  return *row;
}

UserRules parse(std::string_view text) {
  UserRules rules;
  EXPECT_EQ(parse_acl_rules(text, rules), "") << text;
  return rules;
}

TEST(AclRulesTest, ReadOnlyUserOnPrefix) {
  const UserRules rules = parse("on ~app:* +@read");
  EXPECT_TRUE(rules.enabled);
  EXPECT_FALSE(rules.all_keys);
  ASSERT_EQ(rules.key_patterns.size(), 1u);
  EXPECT_EQ(rules.key_patterns[0], "app:*");
  EXPECT_TRUE(rules_allow_command(rules, spec("get")));
  EXPECT_FALSE(rules_allow_command(rules, spec("set")));
  EXPECT_FALSE(rules_allow_command(rules, spec("ping")));  // @connection, as in Redis
  EXPECT_FALSE(rules_allow_everything(rules));
}

TEST(AclRulesTest, LastRuleWinsAndSubcommandsCount) {
  const UserRules rules = parse("allkeys +@all -@dangerous +config|get -set");
  EXPECT_TRUE(rules.all_keys);
  EXPECT_TRUE(rules_allow_command(rules, spec("get")));
  EXPECT_FALSE(rules_allow_command(rules, spec("set")));
  EXPECT_FALSE(rules_allow_command(rules, spec("flushall")));
  EXPECT_TRUE(rules_allow_command(rules, spec("config", "get")));
  EXPECT_FALSE(rules_allow_command(rules, spec("config", "set")));
  EXPECT_TRUE(rules_name_command(rules, spec("config", "get")));
  EXPECT_FALSE(rules_name_command(rules, spec("flushall")));
  EXPECT_FALSE(rules_allow_everything(rules));
}

TEST(AclRulesTest, AllCommandsForms) {
  EXPECT_TRUE(rules_allow_everything(parse("+@all")));
  EXPECT_TRUE(rules_allow_everything(parse("allcommands")));
  EXPECT_FALSE(rules_allow_everything(parse("+@all -keys")));
  EXPECT_TRUE(rules_allow_everything(parse("-keys +@all")));
  EXPECT_FALSE(rules_allow_everything(parse("+@all nocommands")));
  EXPECT_FALSE(rules_allow_everything(parse("")));  // a new user has no commands, as in Redis
}

TEST(AclRulesTest, CommandNamedByContainerCoversSubcommands) {
  const UserRules rules = parse("+config -config|set");
  EXPECT_TRUE(rules_allow_command(rules, spec("config", "get")));
  EXPECT_FALSE(rules_allow_command(rules, spec("config", "set")));
  EXPECT_TRUE(rules_name_command(rules, spec("config", "rewrite")));
  EXPECT_FALSE(rules_name_command(rules, spec("config", "set")));
}

TEST(AclRulesTest, PasswordsKeysAndSwitches) {
  UserRules rules =
      parse("off #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a:* ~b:*");
  EXPECT_FALSE(rules.enabled);
  EXPECT_EQ(rules.password_hashes.size(), 1u);
  EXPECT_EQ(rules.key_patterns.size(), 2u);
  EXPECT_EQ(parse_acl_rules("resetkeys allkeys nopass on", rules), "");
  EXPECT_TRUE(rules.all_keys);
  EXPECT_TRUE(rules.nopass);
  EXPECT_TRUE(rules.password_hashes.empty());
  EXPECT_TRUE(rules.enabled);
  EXPECT_TRUE(parse("~*").all_keys);
  EXPECT_TRUE(parse("&* allchannels +@all").all_keys == false);
}

TEST(AclRulesTest, RefusesWhatItDoesNotEnforce) {
  for (const char* bad : {"+@nosuch", ">plaintext", "<x", "#1234", "&chan:*", "resetchannels",
                          "%R~app:*", "bogus", "+", "~", "+a b|"}) {
    UserRules rules;
    EXPECT_NE(parse_acl_rules(bad, rules), "") << bad;
  }
  UserRules rules;
  const std::string error = parse_acl_rules(">s3cret", rules);
  EXPECT_EQ(error.find("s3cret"), std::string::npos) << "never echo a password";
}

}  // namespace
}  // namespace funnel::security
