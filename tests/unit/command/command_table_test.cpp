// Unit tests for CommandTable: flag/category names, lookup (case, length, allocation) and the
// generated built-in table from redis-server 7.0.15.
#include "command/command_table.hpp"

#include <gtest/gtest.h>

#include <string>

#include "request_helpers.hpp"

namespace funnel::command {
namespace {

constexpr std::uint32_t bit(Flag f) {
  return static_cast<std::uint32_t>(f);
}
constexpr std::uint32_t bit(AclCategory c) {
  return static_cast<std::uint32_t>(c);
}

CommandSpec spec(std::string name, int arity, std::uint32_t flags = 0) {
  CommandSpec s;
  s.name = std::move(name);
  s.arity = arity;
  s.flags = flags;
  return s;
}

TEST(FlagNames, MapsRedis7NamesAndIgnoresUnknownOnes) {
  EXPECT_EQ(flag_from_name("write"), bit(Flag::kWrite));
  EXPECT_EQ(flag_from_name("readonly"), bit(Flag::kReadonly));
  EXPECT_EQ(flag_from_name("no_multi"), bit(Flag::kNoMulti));
  EXPECT_EQ(flag_from_name("no_async_loading"), bit(Flag::kNoAsyncLoading));
  EXPECT_EQ(flag_from_name("movablekeys"), bit(Flag::kMovableKeys));
  EXPECT_EQ(flag_from_name("BLOCKING"), bit(Flag::kBlocking));
  EXPECT_EQ(flag_from_name("random"), 0u);  // Redis 6 only
  EXPECT_EQ(flag_from_name(""), 0u);
}

TEST(AclNames, AcceptsNamesWithAndWithoutAt) {
  EXPECT_EQ(acl_category_from_name("@read"), bit(AclCategory::kRead));
  EXPECT_EQ(acl_category_from_name("read"), bit(AclCategory::kRead));
  EXPECT_EQ(acl_category_from_name("@hyperloglog"), bit(AclCategory::kHyperLogLog));
  EXPECT_EQ(acl_category_from_name("@connection"), bit(AclCategory::kConnection));
  EXPECT_EQ(acl_category_from_name("@scripting"), bit(AclCategory::kScripting));
  EXPECT_EQ(acl_category_from_name("@nope"), 0u);
  EXPECT_EQ(acl_category_from_name("@"), 0u);
  EXPECT_EQ(acl_category_from_name(""), 0u);
}

TEST(CommandTable, FindIsCaseInsensitive) {
  const CommandTable table({spec("get", 2), spec("set", -3)});
  ASSERT_NE(table.find("get"), nullptr);
  EXPECT_EQ(table.find("GET"), table.find("get"));
  EXPECT_EQ(table.find("gEt"), table.find("get"));
  EXPECT_EQ(table.find("SET")->name, "set");
  EXPECT_EQ(table.find("ge"), nullptr);
  EXPECT_EQ(table.find("gett"), nullptr);
  EXPECT_EQ(table.find(""), nullptr);
  EXPECT_EQ(table.find(std::string("get\0", 4)), nullptr);
}

TEST(CommandTable, StoresNamesLowerCaseAndKeepsTheFirstOfDuplicates) {
  CommandSpec config = spec("CONFIG", -2);
  config.subcommands.push_back(spec("CONFIG|GET", -3));
  const CommandTable table({spec("GET", 2), spec("get", 3), std::move(config)});
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.find("get")->name, "get");
  EXPECT_EQ(table.find("get")->arity, 2);
  EXPECT_EQ(table.find("config")->subcommands[0].name, "config|get");
}

TEST(CommandTable, LongNamesAreUnknownNotCrashes) {
  const CommandTable table({spec("get", 2)});
  EXPECT_EQ(table.find(std::string(100000, 'G')), nullptr);
  EXPECT_EQ(table.find(std::string(100000, '\xff')), nullptr);
}

TEST(CommandTable, FindAllocatesNothing) {
  const auto table = CommandTable::builtin();
  const std::string name = "ClIeNt";
  const std::string long_name(4096, 'x');
  const std::size_t before = test::allocations();
  const CommandSpec* found = table->find(name);
  const CommandSpec* sub = found ? CommandTable::find_subcommand(*found, "LIST") : nullptr;
  const CommandSpec* missing = table->find(long_name);
  EXPECT_EQ(test::allocations(), before);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->name, "client|list");
  EXPECT_EQ(missing, nullptr);
}

TEST(CommandTable, FindSubcommandMatchesTheNameAfterTheBar) {
  CommandSpec config = spec("config", -2);
  config.subcommands = {spec("config|get", -3), spec("config|set", -4), spec("config|help", 2)};
  EXPECT_EQ(CommandTable::find_subcommand(config, "get")->name, "config|get");
  EXPECT_EQ(CommandTable::find_subcommand(config, "GET")->name, "config|get");
  EXPECT_EQ(CommandTable::find_subcommand(config, "SeT")->name, "config|set");
  EXPECT_EQ(CommandTable::find_subcommand(config, "config|get"), nullptr);
  EXPECT_EQ(CommandTable::find_subcommand(config, "ge"), nullptr);
  // Tails of a name are not its subcommand, whatever bars they hold.
  for (std::string_view tail : {"et", "t", "|get", "g|get", "fig|get", "onfig|help"}) {
    EXPECT_EQ(CommandTable::find_subcommand(config, tail), nullptr) << tail;
  }
  EXPECT_EQ(CommandTable::find_subcommand(config, ""), nullptr);
  EXPECT_EQ(CommandTable::find_subcommand(spec("get", 2), "x"), nullptr);
}

TEST(BuiltinTable, HoldsRedis70sCommands) {
  const auto table = CommandTable::builtin();
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table, CommandTable::builtin());  // built once, shared
  EXPECT_EQ(table->size(), 240u);             // COMMAND COUNT on redis-server 7.0.15
  const CommandSpec* get = table->find("GET");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->arity, 2);
  EXPECT_TRUE(get->has(Flag::kReadonly));
  EXPECT_TRUE(get->has(Flag::kFast));
  EXPECT_FALSE(get->has(Flag::kWrite));
  EXPECT_TRUE(get->in(AclCategory::kRead));
  EXPECT_TRUE(get->in(AclCategory::kString));
  EXPECT_EQ(get->first_key, 1);
  EXPECT_EQ(get->last_key, 1);
  EXPECT_EQ(get->key_step, 1);
  const CommandSpec* mset = table->find("mset");
  ASSERT_NE(mset, nullptr);
  EXPECT_EQ(mset->arity, -3);
  EXPECT_EQ(mset->last_key, -1);
  EXPECT_EQ(mset->key_step, 2);
  EXPECT_TRUE(table->find("blpop")->has(Flag::kBlocking));
  EXPECT_TRUE(table->find("multi")->in(AclCategory::kTransaction));
  EXPECT_TRUE(table->find("subscribe")->has(Flag::kPubsub));
}

TEST(BuiltinTable, HoldsEverySubcommand) {
  const auto table = CommandTable::builtin();
  const CommandSpec* client = table->find("client");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->subcommands.size(), 16u);
  const CommandSpec* config_get = CommandTable::find_subcommand(*table->find("config"), "get");
  ASSERT_NE(config_get, nullptr);
  EXPECT_EQ(config_get->arity, -3);
  EXPECT_TRUE(table->find("command")->is_container());
  EXPECT_FALSE(table->find("get")->is_container());
  std::size_t containers = 0;
  for (const CommandSpec& command : table->commands()) {
    EXPECT_EQ(table->find(command.name), &command);
    containers += command.is_container() ? 1 : 0;
    for (const CommandSpec& sub : command.subcommands) {
      EXPECT_EQ(sub.name.rfind(command.name + "|", 0), 0u) << sub.name;
      EXPECT_TRUE(sub.subcommands.empty());
    }
  }
  EXPECT_EQ(containers, 15u);
}

TEST(BuiltinTable, NamesAreLowerCase) {
  for (const CommandSpec& command : CommandTable::builtin()->commands()) {
    for (char c : command.name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << command.name;
  }
}

}  // namespace
}  // namespace funnel::command
