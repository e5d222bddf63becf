// Differential test of classify()'s common path: a row marked forward_as_is is classified by its
// arity alone. Every request is classified twice, against a table as built and against the same
// rows with forward_as_is cleared (so every request takes the general rules); the answers must
// be the same, for every command of the built-in table and of a captured Redis 7 COMMAND reply.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/classify.hpp"
#include "request_helpers.hpp"

namespace funnel::command {
namespace {

using test::ParsedRequest;

// The rows of `source` in a new table (forward_as_is computed), and in another with it cleared.
struct TablePair {
  explicit TablePair(const CommandTable& source)
      : fast(source.commands()), rules(source.commands()) {
    // rules is a non-const object, so writing through commands() is well defined; a test-only
    // way to switch the common path off without a hook in the product code.
    for (const CommandSpec& spec : rules.commands()) {
      const_cast<CommandSpec&>(spec).forward_as_is = false;
    }
  }
  CommandTable fast;
  CommandTable rules;
};

std::string describe(const Classification& c) {
  return "route=" + std::to_string(static_cast<int>(c.route)) +
         " local=" + std::to_string(static_cast<int>(c.local)) +
         " spec=" + (c.spec ? c.spec->name : std::string("-")) +
         " read_only=" + std::to_string(c.read_only) +
         " reply_edit=" + std::to_string(static_cast<int>(c.reply_edit)) +
         " blocking=" + std::to_string(c.blocking) + " error='" + c.error + "'";
}

void expect_same(const TablePair& tables, const std::vector<std::string>& args) {
  ParsedRequest request(args);
  ASSERT_EQ(request.status(), resp::ParseStatus::kComplete);
  Classification fast;
  Classification rules;
  classify(tables.fast, request.get(), fast);
  classify(tables.rules, request.get(), rules);
  EXPECT_EQ(describe(fast), describe(rules)) << ParsedRequest::encode(args);
}

void check_every_command(const CommandTable& source) {
  const TablePair tables(source);
  std::size_t as_is = 0;
  const std::vector<std::string> extra = {"key", "BLOCK", "0", "STREAMS", "x", "y"};
  for (const CommandSpec& spec : source.commands()) {
    as_is += spec.forward_as_is;
    for (const std::string& name :
         {spec.name, std::string(1, static_cast<char>(spec.name[0] - 32)) + spec.name.substr(1)}) {
      std::vector<std::string> args = {name};
      for (std::size_t n = 0; n <= extra.size(); ++n) {
        expect_same(tables, args);
        if (n < extra.size()) args.push_back(extra[n]);
      }
      for (const CommandSpec& sub : spec.subcommands) {
        expect_same(tables, {name, sub.name.substr(sub.name.find('|') + 1), "a", "b"});
      }
    }
  }
  EXPECT_GT(as_is, 0u);  // the common path is taken at all
}

TEST(ClassifyFastPath, SameAnswersAsTheRulesForTheBuiltinTable) {
  check_every_command(*CommandTable::builtin());
}

CommandSpec row(std::string name, std::uint32_t flags, std::uint32_t acl = 0, int arity = -2) {
  CommandSpec spec;
  spec.name = std::move(name);
  spec.arity = arity;
  spec.flags = flags;
  spec.acl = acl;
  return spec;
}

// Rows as a Redis 6 server or one with modules loaded might report them.
TEST(ClassifyFastPath, SameAnswersAsTheRulesForModuleAndRedis6Rows) {
  const auto flag = [](Flag f) { return static_cast<std::uint32_t>(f); };
  const auto cat = [](AclCategory c) { return static_cast<std::uint32_t>(c); };
  CommandSpec container = row("mod.box", 0, 0, -2);
  container.subcommands = {row("mod.box|get", flag(Flag::kModule) | flag(Flag::kReadonly)),
                           row("mod.box|wait", flag(Flag::kModule) | flag(Flag::kBlocking))};
  std::vector<CommandSpec> rows = {
      row("newsub", flag(Flag::kPubsub)),
      row("newconn", 0, cat(AclCategory::kConnection)),
      row("newtx", 0, cat(AclCategory::kTransaction)),
      row("blpop6", flag(Flag::kWrite), cat(AclCategory::kBlocking)),
      row("mod.read", flag(Flag::kModule) | flag(Flag::kReadonly)),
      row("mod.write", flag(Flag::kModule) | flag(Flag::kWrite), 0, 3),
      row("mod.plain", flag(Flag::kModule)),
      row("mod.nomulti", flag(Flag::kModule) | flag(Flag::kWrite) | flag(Flag::kNoMulti)),
      row("plain", flag(Flag::kWrite), 0, 2),
      row("funnel", flag(Flag::kReadonly)),  // a backend's own FUNNEL is still Funnel's
      std::move(container),
  };
  check_every_command(CommandTable(std::move(rows)));
}

TEST(ClassifyFastPath, PlainDataCommandsAreMarkedAndTheOthersAreNot) {
  const CommandTable& table = *CommandTable::builtin();
  for (const char* name : {"get", "set", "hget", "mget", "incr", "zadd", "expire", "eval"}) {
    ASSERT_NE(table.find(name), nullptr) << name;
    EXPECT_TRUE(table.find(name)->forward_as_is) << name;
  }
  for (const char* name : {"info", "client", "config", "publish", "blpop", "xread", "subscribe",
                           "multi", "watch", "wait", "ping", "command", "select", "monitor"}) {
    ASSERT_NE(table.find(name), nullptr) << name;
    EXPECT_FALSE(table.find(name)->forward_as_is) << name;
  }
}

TEST(ClassifyFastPath, UnknownCommandsAndWrongArityTakeTheRules) {
  const TablePair tables(*CommandTable::builtin());
  expect_same(tables, {"GET"});
  expect_same(tables, {"GET", "a", "b"});
  expect_same(tables, {"NOSUCH", "a"});
  expect_same(tables, {"funnel", "stats"});
}

}  // namespace
}  // namespace funnel::command
