// The Funnel-held MULTI … EXEC (no I/O): the block written at EXEC (what each command inside
// MULTI gets is tests/unit/plan/transaction_rule_test.cpp).
#include "client/transaction.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../command/request_helpers.hpp"

namespace funnel::client {
namespace {

using command::test::ParsedRequest;

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
