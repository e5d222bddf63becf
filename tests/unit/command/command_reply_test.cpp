// Unit tests for CommandTable::from_command_reply: hand-built RESP2 and RESP3 shaped replies,
// Redis 6 layouts, malformed replies, and COMMAND INFO bytes captured from redis-server 7.0.15.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>

#include "captured_command_info.inc"
#include "command/command_table.hpp"
#include "resp/value.hpp"

namespace funnel::command {
namespace {

using resp::Value;
using resp::ValueType;

Value str(std::string s, ValueType type = ValueType::kBulk) {
  Value v;
  v.type = type;
  v.str = std::move(s);
  return v;
}
Value status(std::string s) {
  return str(std::move(s), ValueType::kSimpleString);
}
Value integer(std::int64_t n) {
  Value v;
  v.type = ValueType::kInteger;
  v.integer = n;
  return v;
}
Value list(std::vector<Value> elems, ValueType type = ValueType::kArray) {
  Value v;
  v.type = type;
  v.elems = std::move(elems);
  return v;
}
Value null() {
  return Value{};
}

// A Redis 7 entry; RESP3 sends flags and ACL categories as sets.
Value entry(std::string name, int arity, std::vector<std::string> flags,
            std::vector<std::string> acl, bool resp3 = false, std::vector<Value> subs = {}) {
  const ValueType names_type = resp3 ? ValueType::kSet : ValueType::kArray;
  std::vector<Value> flag_values, acl_values;
  for (auto& f : flags) flag_values.push_back(status(f));
  for (auto& a : acl) acl_values.push_back(status(a));
  return list({str(std::move(name)), integer(arity), list(std::move(flag_values), names_type),
               integer(1), integer(1), integer(1), list(std::move(acl_values), names_type),
               list({}), list({}), list(std::move(subs))});
}

std::shared_ptr<const CommandTable> load(const Value& reply, std::string* error = nullptr) {
  std::string ignored;
  return CommandTable::from_command_reply(reply, error ? error : &ignored);
}

class FromCommandReply : public ::testing::TestWithParam<bool> {};

TEST_P(FromCommandReply, ReadsRedis7Entries) {
  const bool resp3 = GetParam();
  const Value reply = list({
      entry("get", 2, {"readonly", "fast"}, {"@read", "@string", "@fast"}, resp3),
      entry("blpop", -3, {"write", "noscript", "blocking"}, {"@write", "@list", "@blocking"},
            resp3),
      entry("config", -2, {}, {"@slow"}, resp3,
            {entry("config|get", -3, {"admin", "noscript"}, {"@admin", "@slow"}, resp3),
             entry("config|SET", -4, {"admin"}, {"@admin"}, resp3)}),
  });
  std::string error;
  const auto table = load(reply, &error);
  ASSERT_NE(table, nullptr) << error;
  EXPECT_EQ(table->size(), 3u);
  const CommandSpec* get = table->find("GET");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->arity, 2);
  EXPECT_EQ(get->flags, flag_from_name("readonly") | flag_from_name("fast"));
  EXPECT_EQ(get->acl, acl_category_from_name("read") | acl_category_from_name("string") |
                          acl_category_from_name("fast"));
  EXPECT_EQ(get->first_key, 1);
  EXPECT_TRUE(table->find("blpop")->has(Flag::kBlocking));
  const CommandSpec* config = table->find("config");
  ASSERT_EQ(config->subcommands.size(), 2u);
  EXPECT_EQ(CommandTable::find_subcommand(*config, "GET")->arity, -3);
  EXPECT_EQ(CommandTable::find_subcommand(*config, "set")->name, "config|set");
}

INSTANTIATE_TEST_SUITE_P(Resp2AndResp3, FromCommandReply, ::testing::Values(false, true));

TEST(FromCommandReplyLayouts, AcceptsRedis6EntriesOfSixAndSevenElements) {
  const Value reply = list({
      list({str("GET"), integer(2), list({status("readonly")}), integer(1), integer(1), integer(1),
            list({status("@read")})}),
      list({str("set"), integer(-3), list({status("write")}), integer(1), integer(1), integer(1)}),
  });
  const auto table = load(reply);
  ASSERT_NE(table, nullptr);
  EXPECT_TRUE(table->find("get")->in(AclCategory::kRead));
  EXPECT_EQ(table->find("get")->name, "get");
  EXPECT_EQ(table->find("set")->acl, 0u);
  EXPECT_EQ(table->find("set")->arity, -3);
}

TEST(FromCommandReplyLayouts, PrefixesBareSubcommandNamesAndIgnoresDeeperLevels) {
  Value sub = entry("get", -3, {}, {});
  sub.elems[9] = list({entry("deeper", 2, {}, {})});
  const auto table = load(list({entry("config", -2, {}, {}, false, {sub})}));
  ASSERT_NE(table, nullptr);
  const CommandSpec& only = table->find("config")->subcommands.at(0);
  EXPECT_EQ(only.name, "config|get");
  EXPECT_TRUE(only.subcommands.empty());
}

TEST(FromCommandReplyLayouts, SkipsNullEntriesAndIgnoresUnknownNames) {
  const auto table = load(list({null(), entry("get", 2, {"shiny_new_flag"}, {"@new"}), null()}));
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->size(), 1u);
  EXPECT_EQ(table->find("get")->flags, 0u);
  EXPECT_EQ(table->find("get")->acl, 0u);
}

// Each case breaks one part of an otherwise valid reply.
TEST(FromCommandReplyErrors, RejectsMalformedReplies) {
  const auto with = [](std::size_t index, Value replacement) {
    Value good = entry("get", 2, {"readonly"}, {"@read"});
    good.elems[index] = std::move(replacement);
    return list({std::move(good)});
  };
  const std::vector<std::pair<std::string, Value>> cases = {
      {"error reply", str("ERR unknown command 'COMMAND'", ValueType::kError)},
      {"not an array", integer(3)},
      {"null", null()},
      {"empty", list({})},
      {"only nulls", list({null()})},
      {"entry not an array", list({str("get")})},
      {"entry too short", list({list({str("get"), integer(2), list({}), integer(1), integer(1)})})},
      {"name not a string", with(0, integer(7))},
      {"empty name", with(0, str(""))},
      {"arity not an integer", with(1, str("2"))},
      {"arity out of range", with(1, integer(1ll << 40))},
      {"flags not a list", with(2, status("readonly"))},
      {"flag not a string", with(2, list({integer(1)}))},
      {"first key not an integer", with(3, null())},
      {"step not an integer", with(5, list({}))},
      {"acl not a list", with(6, integer(0))},
      {"acl entry not a string", with(6, list({list({})}))},
      {"subcommands not a list", with(9, integer(0))},
      {"bad subcommand", with(9, list({list({str("get|x")})}))},
  };
  for (const auto& [what, reply] : cases) {
    std::string error;
    EXPECT_EQ(CommandTable::from_command_reply(reply, &error), nullptr) << what;
    EXPECT_FALSE(error.empty()) << what;
  }
  EXPECT_EQ(CommandTable::from_command_reply(integer(1), nullptr), nullptr);
}

TEST(FromCommandReplyErrors, NamesTheBackendsErrorAndTheBadEntry) {
  std::string error;
  load(str("NOPERM this user has no permissions", ValueType::kError), &error);
  EXPECT_EQ(error, "COMMAND failed: NOPERM this user has no permissions");
  Value bad = entry("get", 2, {}, {});
  bad.elems[1] = str("two");
  load(list({bad}), &error);
  EXPECT_EQ(error, "malformed COMMAND reply: entry 'get': arity is not an integer");
}

// Random trees built from entry-like pieces: loading must fail or succeed, never crash.
TEST(FromCommandReplyErrors, SurvivesRandomValues) {
  std::mt19937 rng(12345);
  std::function<Value(int)> random_value = [&](int depth) -> Value {
    switch (rng() % 7) {
      case 0:
        return integer(static_cast<std::int64_t>(rng()) - (1ll << 31));
      case 1:
        return str(std::string(rng() % 3, 'a'));
      case 2:
        return status("write");
      case 3:
        return null();
      default: {
        if (depth > 4) return integer(1);
        std::vector<Value> elems(rng() % 12);
        for (auto& e : elems) e = random_value(depth + 1);
        return list(std::move(elems), rng() % 2 ? ValueType::kArray : ValueType::kSet);
      }
    }
  };
  for (int i = 0; i < 3000; ++i) {
    std::string error;
    const Value reply = random_value(0);
    const auto table = CommandTable::from_command_reply(reply, &error);
    EXPECT_TRUE(table != nullptr || !error.empty());
  }
}

std::shared_ptr<const CommandTable> load_captured(std::string_view bytes) {
  Value reply;
  std::size_t consumed = 0;
  EXPECT_EQ(resp::parse_value(bytes, reply, consumed), resp::ValueStatus::kComplete);
  EXPECT_EQ(consumed, bytes.size());
  std::string error;
  auto table = CommandTable::from_command_reply(reply, &error);
  EXPECT_NE(table, nullptr) << error;
  return table;
}

void expect_same_rows(const CommandSpec& a, const CommandSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.arity, b.arity) << a.name;
  EXPECT_EQ(a.flags, b.flags) << a.name;
  EXPECT_EQ(a.acl, b.acl) << a.name;
  EXPECT_EQ(a.first_key, b.first_key) << a.name;
  EXPECT_EQ(a.last_key, b.last_key) << a.name;
  EXPECT_EQ(a.key_step, b.key_step) << a.name;
  ASSERT_EQ(a.subcommands.size(), b.subcommands.size()) << a.name;
  for (const CommandSpec& sub : a.subcommands) {
    const CommandSpec* other = CommandTable::find_subcommand(b, sub.name.substr(a.name.size() + 1));
    ASSERT_NE(other, nullptr) << sub.name;
    expect_same_rows(sub, *other);
  }
}

// The captured replies must load to exactly the rows the generator wrote for the same server.
TEST(FromCapturedReply, Resp2AndResp3LoadLikeTheBuiltinTable) {
  const auto resp2 = load_captured(kCommandInfoResp2);
  const auto resp3 = load_captured(kCommandInfoResp3);
  ASSERT_NE(resp2, nullptr);
  ASSERT_NE(resp3, nullptr);
  EXPECT_EQ(resp2->size(), 8u);
  const auto builtin = CommandTable::builtin();
  for (const CommandSpec& command : resp2->commands()) {
    ASSERT_NE(resp3->find(command.name), nullptr) << command.name;
    expect_same_rows(command, *resp3->find(command.name));
    expect_same_rows(command, *builtin->find(command.name));
  }
  EXPECT_TRUE(resp3->find("blpop")->has(Flag::kBlocking));
  EXPECT_TRUE(resp3->find("config")->is_container());
  EXPECT_TRUE(resp3->find("xread")->has(Flag::kReadonly));
}

}  // namespace
}  // namespace funnel::command
