// The local-command table's rows agree with Redis: the names classify() answers locally, the
// commands allowed in RESP2 subscribe mode, and CLIENT's arities.
#include "plan/local_rules.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include "../command/request_helpers.hpp"

namespace funnel::plan {
namespace {

using command::LocalCommand;
using command::test::ParsedRequest;

LocalCommand classify_local(const std::vector<std::string>& args) {
  ParsedRequest request(args);
  command::Classification cls;
  command::classify(*command::CommandTable::builtin(), request.get(), cls);
  return cls.route == command::Route::kLocal ? cls.local : LocalCommand::kNone;
}

TEST(LocalRules, OneRowPerLocalCommandNamedAsRedisNamesIt) {
  for (const LocalRule& row : local_rules()) {
    if (row.local == LocalCommand::kNone) continue;
    std::vector<std::string> args;
    const std::string name(row.name);
    const std::size_t bar = name.find('|');
    if (bar == std::string::npos) {
      args = {name, "x"};
    } else {
      args = {name.substr(0, bar), name.substr(bar + 1)};
    }
    if (row.local == LocalCommand::kReset || row.local == LocalCommand::kQuit ||
        row.local == LocalCommand::kMulti || row.local == LocalCommand::kExec ||
        row.local == LocalCommand::kDiscard || row.local == LocalCommand::kUnwatch ||
        row.local == LocalCommand::kMonitor) {
      args.resize(1);  // arity 1
    }
    EXPECT_EQ(classify_local(args), row.local) << row.name;
  }
}

// Redis 7.0: "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed".
TEST(LocalRules, Resp2SubscribeModeAllowsWhatRedisAllows) {
  std::set<LocalCommand> allowed;
  for (const LocalRule& row : local_rules()) {
    if (row.resp2_subscribe) allowed.insert(row.local);
  }
  EXPECT_EQ(allowed, (std::set<LocalCommand>{LocalCommand::kPing, LocalCommand::kQuit,
                                             LocalCommand::kReset, LocalCommand::kPubsub}));
}

TEST(LocalRules, OnlyQuitRunsBeforeAuthWhateverTheTable) {
  for (const LocalRule& row : local_rules()) {
    EXPECT_EQ(row.before_auth, row.local == LocalCommand::kQuit) << row.name;
  }
}

// Where Redis 7.0's table knows a CLIENT subcommand, Funnel's arity is its arity.
TEST(LocalRules, ClientArityIsRedisArity) {
  const auto table = command::CommandTable::builtin();
  const command::CommandSpec* client = table->find("client");
  ASSERT_NE(client, nullptr);
  for (const ClientSubRule& row : client_sub_rules()) {
    if (row.argc == 0) continue;
    std::string lower(row.name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const command::CommandSpec* sub = command::CommandTable::find_subcommand(*client, lower);
    if (sub == nullptr) continue;  // newer than the table (SETINFO on 7.0)
    EXPECT_EQ(sub->arity, row.argc) << row.name;
  }
}

TEST(LocalRules, ClientSubcommandsAreFoundInAnyCase) {
  EXPECT_EQ(client_sub_rule("id").sub, ClientSub::kId);
  EXPECT_EQ(client_sub_rule("No-Evict").sub, ClientSub::kNoEvict);
  EXPECT_EQ(client_sub_rule("kill").sub, ClientSub::kRefused);
  EXPECT_EQ(client_sub_rule("nosuch").sub, ClientSub::kNone);
  EXPECT_EQ(client_sub_rule("").sub, ClientSub::kNone);
}

}  // namespace
}  // namespace funnel::plan
