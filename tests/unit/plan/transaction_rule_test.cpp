// What each command inside a Funnel-held MULTI gets (no I/O), with Redis 7.0's replies (checked
// against redis-server 7.0.15).
#include "plan/transaction_rule.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../command/request_helpers.hpp"

namespace funnel::plan {
namespace {

using command::test::ParsedRequest;

struct Decision {
  TxAction action;
  std::string error;
};

Decision decide(const std::vector<std::string>& args) {
  ParsedRequest request(args);
  command::Classification cls;
  command::classify(*command::CommandTable::builtin(), request.get(), cls);
  Decision d;
  std::string scratch;
  std::string_view error;
  d.action = decide_in_transaction(cls, error, scratch);
  d.error = std::string(error);
  return d;
}

TEST(TransactionDecide, QueuesDataCommandsAndThoseFunnelAnswersOutsideMulti) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"SET", "k", "v"},
                                                                {"INCR", "k"},
                                                                {"PING"},
                                                                {"ECHO", "x"},
                                                                {"BLPOP", "k", "0"},
                                                                {"UNWATCH"},
                                                                {"INFO"}}) {
    EXPECT_EQ(decide(args).action, TxAction::kQueue) << args[0];
  }
}

TEST(TransactionDecide, EndsWithExecDiscardResetQuit) {
  EXPECT_EQ(decide({"EXEC"}).action, TxAction::kExec);
  EXPECT_EQ(decide({"discard"}).action, TxAction::kDiscard);
  EXPECT_EQ(decide({"RESET"}).action, TxAction::kReset);
  EXPECT_EQ(decide({"QUIT"}).action, TxAction::kQuit);
}

TEST(TransactionDecide, NestedMultiAndWatchAreErrorsThatDoNotAbort) {
  const Decision nested = decide({"MULTI"});
  EXPECT_EQ(nested.action, TxAction::kNested);
  EXPECT_EQ(nested.error, "ERR MULTI calls can not be nested");
  const Decision watch = decide({"WATCH", "k"});
  EXPECT_EQ(watch.action, TxAction::kWatchInside);
  EXPECT_EQ(watch.error, "ERR WATCH inside MULTI is not allowed");
}

TEST(TransactionDecide, QueueTimeErrorsAbortWithRedisTexts) {
  const Decision unknown = decide({"FOO", "a"});
  EXPECT_EQ(unknown.action, TxAction::kReject);
  EXPECT_EQ(unknown.error, "ERR unknown command 'FOO', with args beginning with: 'a' ");
  const Decision arity = decide({"SET", "k"});
  EXPECT_EQ(arity.action, TxAction::kReject);
  EXPECT_EQ(arity.error, "ERR wrong number of arguments for 'set' command");
  const Decision save = decide({"SAVE"});
  EXPECT_EQ(save.action, TxAction::kReject);
  EXPECT_EQ(save.error, "ERR Command not allowed inside a transaction");
}

TEST(TransactionDecide, StateChangingCommandsAreRefusedClearly) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"SELECT", "1"},
                                                                {"HELLO", "3"},
                                                                {"AUTH", "x"},
                                                                {"CLIENT", "SETNAME", "x"},
                                                                {"SUBSCRIBE", "c"},
                                                                {"WAIT", "0", "0"},
                                                                {"MONITOR"}}) {
    const Decision d = decide(args);
    EXPECT_EQ(d.action, TxAction::kRefuse) << args[0];
    EXPECT_EQ(d.error.rfind("ERR funnel: " + args[0] + " inside MULTI is not supported", 0), 0u)
        << d.error;
  }
}

}  // namespace
}  // namespace funnel::plan
