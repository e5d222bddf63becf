// Unit tests for classify()'s flag and category rules on tables a backend could send (newer
// Redis, Redis 6, modules): what the built-in 7.0 table cannot show.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/classify.hpp"
#include "request_helpers.hpp"

namespace funnel::command {
namespace {

using test::ParsedRequest;

constexpr std::uint32_t operator|(Flag a, Flag b) {
  return static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b);
}
constexpr std::uint32_t bit(Flag f) {
  return static_cast<std::uint32_t>(f);
}
constexpr std::uint32_t bit(AclCategory c) {
  return static_cast<std::uint32_t>(c);
}

CommandSpec spec(std::string name, std::uint32_t flags, std::uint32_t acl = 0, int arity = -1) {
  CommandSpec s;
  s.name = std::move(name);
  s.arity = arity;
  s.flags = flags;
  s.acl = acl;
  return s;
}

// A table as a newer server or one with modules loaded might report it.
CommandTable custom_table() {
  CommandSpec container = spec("mod.box", 0, 0, -2);
  container.subcommands = {spec("mod.box|get", Flag::kModule | Flag::kReadonly),
                           spec("mod.box|wait", Flag::kModule | Flag::kBlocking)};
  return CommandTable({
      spec("waitaof", bit(Flag::kNoscript), bit(AclCategory::kConnection), 4),
      spec("newsub", bit(Flag::kPubsub)),
      spec("newconn", 0, bit(AclCategory::kConnection)),
      spec("newtx", 0, bit(AclCategory::kTransaction)),
      spec("blpop6", bit(Flag::kWrite), bit(AclCategory::kBlocking)),  // Redis 6: no flag
      spec("mod.read", Flag::kModule | Flag::kReadonly),
      spec("mod.write", Flag::kModule | Flag::kWrite),
      spec("mod.plain", bit(Flag::kModule)),
      spec("mod.admin", Flag::kModule | Flag::kAdmin),
      spec("mod.block", Flag::kModule | Flag::kWrite | bit(Flag::kBlocking)),
      spec("mod.nomulti", Flag::kModule | Flag::kWrite | bit(Flag::kNoMulti)),
      spec("mod.pubsub", Flag::kModule | Flag::kReadonly | bit(Flag::kPubsub)),
      std::move(container),
  });
}

Classification run(const CommandTable& table, const std::vector<std::string>& args) {
  ParsedRequest request(args);
  Classification out;
  classify(table, request.get(), out);
  return out;
}

TEST(ClassifyFlags, RefusesUnknownConnectionTransactionPubsubAndBlockingCommands) {
  const CommandTable table = custom_table();
  for (const char* name : {"newsub", "newconn", "newtx", "blpop6"}) {
    const Classification out = run(table, {name, "x"});
    EXPECT_EQ(out.route, Route::kUnsupported) << name;
    EXPECT_NE(out.error.find("is not supported through Funnel yet"), std::string::npos) << name;
  }
  const Classification waitaof = run(table, {"WAITAOF", "1", "1", "0"});
  EXPECT_EQ(waitaof.route, Route::kUnsupported);
  EXPECT_EQ(waitaof.error.rfind("ERR funnel: WAITAOF is not supported", 0), 0u);
}

TEST(ClassifyFlags, ForwardsOnlyModuleCommandsDeclaredAsPlainReadsOrWrites) {
  const CommandTable table = custom_table();
  EXPECT_EQ(run(table, {"mod.read", "k"}).route, Route::kForward);
  EXPECT_TRUE(run(table, {"MOD.READ", "k"}).read_only);
  EXPECT_EQ(run(table, {"mod.write", "k"}).route, Route::kForward);
  EXPECT_FALSE(run(table, {"mod.write", "k"}).read_only);
  for (const char* name : {"mod.plain", "mod.admin", "mod.block", "mod.nomulti", "mod.pubsub"}) {
    EXPECT_EQ(run(table, {name, "k"}).route, Route::kUnsupported) << name;
  }
  EXPECT_EQ(run(table, {"mod.plain"}).error,
            "ERR funnel: MOD.PLAIN is not supported through Funnel yet (a module command not "
            "known to be safe needs a dedicated backend connection)");
}

TEST(ClassifyFlags, JudgesAModuleContainerBySubcommand) {
  const CommandTable table = custom_table();
  EXPECT_EQ(run(table, {"mod.box", "get", "k"}).route, Route::kForward);
  const Classification wait = run(table, {"MOD.BOX", "WAIT", "k"});
  EXPECT_EQ(wait.route, Route::kUnsupported);
  EXPECT_EQ(wait.error.rfind("ERR funnel: MOD.BOX WAIT is not supported", 0), 0u) << wait.error;
  EXPECT_EQ(run(table, {"mod.box", "x"}).error, "ERR unknown subcommand 'x'. Try MOD.BOX HELP.");
}

TEST(ClassifyFlags, ArityZeroIsNeverWrong) {
  const CommandTable table({spec("anything", 0, 0, 0)});
  EXPECT_EQ(run(table, {"anything"}).route, Route::kForward);
  EXPECT_EQ(run(table, {"anything", "a", "b", "c"}).route, Route::kForward);
}

}  // namespace
}  // namespace funnel::command
