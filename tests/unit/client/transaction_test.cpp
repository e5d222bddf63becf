// The Funnel-held MULTI … EXEC (no I/O): what each command inside MULTI gets, with Redis 7.0's
// replies (checked against redis-server 7.0.15), and the block written at EXEC.
#include "client/transaction.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../command/request_helpers.hpp"

namespace funnel::client {
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
  d.action = decide_in_transaction(cls, d.error);
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

TEST(TransactionQueue, BuildsOneBlockFromMultiToExec) {
  TransactionQueue tx;
  const std::string set = ParsedRequest::encode({"SET", "k", "v"});
  const std::string ping = ParsedRequest::encode({"PING"});
  EXPECT_EQ(tx.add(set, 1024, 10), TransactionQueue::AddStatus::kQueued);
  EXPECT_EQ(tx.add(ping, 1024, 10), TransactionQueue::AddStatus::kQueued);
  EXPECT_EQ(tx.commands(), 2u);
  EXPECT_FALSE(tx.aborted());
  EXPECT_EQ(tx.finish_block(), "*1\r\n$5\r\nMULTI\r\n" + set + ping + "*1\r\n$4\r\nEXEC\r\n");
}

TEST(TransactionQueue, RefusesPastItsLimitsAndAborts) {
  TransactionQueue by_bytes;
  const std::string set = ParsedRequest::encode({"SET", "k", "v"});
  EXPECT_EQ(by_bytes.add(set, set.size(), 10), TransactionQueue::AddStatus::kQueued);
  EXPECT_EQ(by_bytes.add(set, set.size(), 10), TransactionQueue::AddStatus::kTooLarge);
  EXPECT_TRUE(by_bytes.aborted());
  EXPECT_EQ(by_bytes.commands(), 1u);
  TransactionQueue by_count;
  EXPECT_EQ(by_count.add(set, 1024, 1), TransactionQueue::AddStatus::kQueued);
  EXPECT_EQ(by_count.add(set, 1024, 1), TransactionQueue::AddStatus::kTooLarge);
  TransactionQueue flagged;
  flagged.flag_error();
  EXPECT_TRUE(flagged.aborted());
}

}  // namespace
}  // namespace funnel::client
