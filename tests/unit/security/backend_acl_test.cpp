// Users kept in the backend: ACL GETUSER replies (as redis-server 7.0 sends them) turned into
// Funnel's rules, or refused when Funnel could not enforce them exactly; the channel checks
// those users bring, with Redis 7.0's texts; and the cache of verdicts and current rules.
#include <gtest/gtest.h>

#include "command/classify.hpp"
#include "request_helpers.hpp"
#include "resp/value.hpp"
#include "security/access_check.hpp"
#include "security/backend_acl.hpp"
#include "security/backend_user_cache.hpp"

namespace funnel::security {
namespace {

using command::test::ParsedRequest;

std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// ACL GETUSER's RESP3 reply for these fields (flags space-separated; selectors: how many).
resp::Value getuser(std::string_view flags, std::string_view commands, std::string_view keys,
                    std::string_view channels, int selectors = 0) {
  std::string flag_items;
  int flag_count = 0;
  std::size_t pos = 0;
  while (pos < flags.size()) {
    std::size_t end = flags.find(' ', pos);
    if (end == std::string_view::npos) end = flags.size();
    flag_items += bulk(flags.substr(pos, end - pos));
    ++flag_count;
    pos = end + 1;
  }
  std::string selector_items;
  for (int i = 0; i < selectors; ++i) {
    selector_items += "%3\r\n" + bulk("commands") + bulk("-@all +set") + bulk("keys") +
                      bulk("~w:*") + bulk("channels") + bulk("");
  }
  const std::string bytes = "%6\r\n" + bulk("flags") + "*" + std::to_string(flag_count) + "\r\n" +
                            flag_items + bulk("passwords") + "*0\r\n" + bulk("commands") +
                            bulk(commands) + bulk("keys") + bulk(keys) + bulk("channels") +
                            bulk(channels) + bulk("selectors") + "*" + std::to_string(selectors) +
                            "\r\n" + selector_items;
  resp::Value value;
  std::size_t consumed = 0;
  EXPECT_EQ(resp::parse_value(bytes, value, consumed), resp::ValueStatus::kComplete);
  return value;
}

struct Case {
  const char* name;
  resp::Value reply;
  const char* refusal;  // a substring of the refusal; "" when accepted
};

TEST(BackendAclTest, WhatFunnelCanEnforceIsAcceptedTheRestRefused) {
  const auto table = command::CommandTable::builtin();
  const std::vector<Case> cases = {
      {"all", getuser("on", "+@all", "~*", "&*"), ""},
      {"issue example", getuser("on", "+@all", "", ""), ""},
      {"categories", getuser("on", "-@all +@read -keys +config|get", "~app:* ~x", "&news.*"), ""},
      {"nopass off", getuser("off nopass sanitize-payload", "+@all", "~*", "&*"), ""},
      {"selectors", getuser("on", "+@all", "~*", "&*", 1), "selectors"},
      {"read-only keys", getuser("on", "+@all", "%R~r:*", ""), "%R~r:*"},
      {"write-only keys", getuser("on", "+@all", "~a %W~w:*", ""), "%W~w:*"},
      {"first argument", getuser("on", "-@all +select|0", "~*", ""), "+select|0"},
      {"unknown category", getuser("on", "+@all -@newcategory", "~*", ""), "-@newcategory"},
      {"unknown flag", getuser("on some-new-flag", "+@all", "~*", ""), "some-new-flag"},
  };
  for (const Case& c : cases) {
    const BackendRules got = rules_from_getuser("u", c.reply, table.get());
    if (std::string(c.refusal).empty()) {
      EXPECT_EQ(got.refusal, "") << c.name;
    } else {
      EXPECT_NE(got.refusal.find(c.refusal), std::string::npos) << c.name << ": " << got.refusal;
      EXPECT_TRUE(got.refusal.starts_with("backend user 'u' has ")) << got.refusal;
    }
  }
}

TEST(BackendAclTest, FieldsBecomeRules) {
  const auto table = command::CommandTable::builtin();
  BackendRules got = rules_from_getuser(
      "u", getuser("on", "-@all +@read -keys", "~app:* ~x", "&news.*"), table.get());
  ASSERT_EQ(got.refusal, "");
  EXPECT_TRUE(got.rules.enabled);
  EXPECT_FALSE(got.rules.all_keys);
  EXPECT_EQ(got.rules.key_patterns, (std::vector<std::string>{"app:*", "x"}));
  EXPECT_FALSE(got.rules.all_channels);
  EXPECT_EQ(got.rules.channel_patterns, (std::vector<std::string>{"news.*"}));
  got = rules_from_getuser("u", getuser("off", "+@all", "~*", "&*"), table.get());
  EXPECT_FALSE(got.rules.enabled);
  EXPECT_TRUE(got.rules.all_keys);
  EXPECT_TRUE(got.rules.all_channels);
  resp::Value null_reply;  // the user was deleted: nobody logs in as it
  EXPECT_FALSE(rules_from_getuser("u", null_reply, table.get()).rules.enabled);
  resp::Value error;
  error.type = resp::ValueType::kError;
  error.str = "NOPERM this user has no permissions to run the 'acl|getuser' command";
  EXPECT_NE(rules_from_getuser("u", error, table.get()).refusal.find("+acl|getuser"),
            std::string::npos);
}

class BackendChannelsTest : public ::testing::Test {
 protected:
  void make(std::string_view commands, std::string_view keys, std::string_view channels) {
    BackendRules read =
        rules_from_getuser("u", getuser("on", commands, keys, channels), table_.get());
    ASSERT_EQ(read.refusal, "");
    config::AuthConfig auth;
    auth.deny_commands = "";
    directory_ = UserDirectory::build(auth);
    user_ = directory_->make_backend_user("u", read.rules);
  }
  std::string run(const std::vector<std::string>& args) {
    ParsedRequest request(args);
    command::Classification cls;
    command::classify(*table_, request.get(), cls);
    if (!access_needs_check(*user_, directory_->policy(), *cls.spec)) return "OK";
    const Access access = check_access(*user_, directory_->policy(), *cls.spec, request.get());
    return access == Access::kAllowed ? "OK" : access_error(access, *cls.spec);
  }

  std::shared_ptr<const command::CommandTable> table_ = command::CommandTable::builtin();
  std::shared_ptr<const UserDirectory> directory_;
  std::shared_ptr<const User> user_;
};

constexpr const char* kChannelDenied =
    "NOPERM this user has no permissions to access one of the channels used as arguments";

// Redis 7.0's rules (acl.c ACLCheckChannelAgainstList): a channel is matched against the
// patterns, a PSUBSCRIBE pattern must equal one; unsubscribing is never refused.
TEST_F(BackendChannelsTest, ChannelsAreCheckedAsRedisDoes) {
  make("+@all", "~*", "&news.* &exact");
  EXPECT_EQ(run({"PUBLISH", "news.a", "m"}), "OK");
  EXPECT_EQ(run({"PUBLISH", "sports", "m"}), kChannelDenied);
  EXPECT_EQ(run({"SUBSCRIBE", "news.a", "exact"}), "OK");
  EXPECT_EQ(run({"SUBSCRIBE", "news.a", "sports"}), kChannelDenied);
  EXPECT_EQ(run({"SSUBSCRIBE", "sports"}), kChannelDenied);
  EXPECT_EQ(run({"SPUBLISH", "exact", "m"}), "OK");
  EXPECT_EQ(run({"PSUBSCRIBE", "news.*"}), "OK");
  EXPECT_EQ(run({"PSUBSCRIBE", "news.a*"}), kChannelDenied);
  EXPECT_EQ(run({"UNSUBSCRIBE", "sports"}), "OK");
  EXPECT_EQ(run({"GET", "k"}), "OK");
  make("+@all", "~*", "");  // Redis 7's default for a new user: no channels at all
  EXPECT_EQ(run({"PUBLISH", "any", "m"}), kChannelDenied);
  EXPECT_EQ(run({"GET", "k"}), "OK");
  make("+@all", "~*", "&*");
  EXPECT_EQ(run({"PUBLISH", "any", "m"}), "OK");
}

TEST(BackendUserCacheTest, VerdictsAreKeptForTheCacheTimeUnderAKeyedHash) {
  BackendUserCache cache(1000);
  const Sha256 key = cache.credential_key("u", "pw");
  EXPECT_NE(key, cache.credential_key("u", "pw2"));
  EXPECT_NE(key, cache.credential_key("u2", "pw"));
  EXPECT_NE(cache.credential_key("ab", "c"), cache.credential_key("a", "bc"));
  EXPECT_NE(key, sha256("pw"));  // salted: not the password's plain hash
  BackendAuthResult out;
  EXPECT_FALSE(cache.find(key, 0, out));
  auto directory = UserDirectory::build(config::AuthConfig{});
  UserRules rules;
  rules.commands.push_back(CommandRule::all(true));
  const auto user = cache.update("u", directory->make_backend_user("u", rules), 0);
  cache.store(key, "u", BackendVerdict::kLoggedIn, 0);
  ASSERT_TRUE(cache.find(key, 999, out));
  EXPECT_EQ(out.verdict, BackendVerdict::kLoggedIn);
  EXPECT_EQ(out.user, user);
  EXPECT_FALSE(cache.find(key, 1000, out));  // expired
  const Sha256 wrong = cache.credential_key("u", "bad");
  cache.store(wrong, "u", BackendVerdict::kWrongPass, 0);
  ASSERT_TRUE(cache.find(wrong, 10, out));
  EXPECT_EQ(out.verdict, BackendVerdict::kWrongPass);
  cache.store(cache.credential_key("u", "x"), "u", BackendVerdict::kUnavailable, 0);
  EXPECT_FALSE(cache.find(cache.credential_key("u", "x"), 10, out));  // outages are not kept
}

TEST(BackendUserCacheTest, ChangedOrDeletedRulesBumpTheGenerationForConnectedSessions) {
  BackendUserCache cache(100);
  auto directory = UserDirectory::build(config::AuthConfig{});
  UserRules rules;
  rules.commands.push_back(CommandRule::all(true));
  std::shared_ptr<const User> session =
      cache.update("u", directory->make_backend_user("u", rules), 0);
  const Sha256 key = cache.credential_key("u", "pw");
  cache.store(key, "u", BackendVerdict::kLoggedIn, 0);
  const std::uint64_t start = cache.generation();
  // The same rules read again: the same User, no rebind.
  EXPECT_EQ(cache.update("u", directory->make_backend_user("u", rules), 50), session);
  EXPECT_EQ(cache.generation(), start);
  EXPECT_TRUE(cache.due_for_refresh(100).empty());                       // read at 50
  EXPECT_EQ(cache.due_for_refresh(150), std::vector<std::string>{"u"});  // a session holds it
  rules.commands.push_back(CommandRule{false, CommandRule::Target::kCommand, 0, "get"});
  const auto changed = cache.update("u", directory->make_backend_user("u", rules), 160);
  EXPECT_NE(changed, session);
  EXPECT_EQ(cache.generation(), start + 1);
  EXPECT_EQ(cache.current("u"), changed);
  session = changed;
  cache.update("u", nullptr, 200);  // ACL DELUSER
  EXPECT_EQ(cache.generation(), start + 2);
  EXPECT_EQ(cache.current("u"), nullptr);
  BackendAuthResult out;
  EXPECT_FALSE(cache.find(key, 210, out));  // its remembered login asks the backend again
  session.reset();
  EXPECT_TRUE(cache.due_for_refresh(400).empty());  // nobody acts as it: forgotten
}

}  // namespace
}  // namespace funnel::security
