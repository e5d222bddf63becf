// Error classification: each failure gets the kind the case's logs and dashboards would show.
#include "storm/error_kind.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

namespace funnel::storm {
namespace {

TEST(ErrorKind, DescriptorExhaustionIsEmfile) {
  EXPECT_EQ(classify_errno(EMFILE, Phase::kSocket), ErrorKind::kEmfile);
  EXPECT_EQ(classify_errno(ENFILE, Phase::kSocket), ErrorKind::kEmfile);
}

TEST(ErrorKind, RefusedAndTimedOutConnects) {
  EXPECT_EQ(classify_errno(ECONNREFUSED, Phase::kConnect), ErrorKind::kConnectRefused);
  EXPECT_EQ(classify_errno(ETIMEDOUT, Phase::kConnect), ErrorKind::kTimeout);
}

TEST(ErrorKind, ResetBeforeTheFirstReplyIsAMaxClientsRefusal) {
  // Redis writes the refusal and closes; unread request bytes turn the close into a reset.
  EXPECT_EQ(classify_errno(ECONNRESET, Phase::kFirstReply), ErrorKind::kMaxClients);
  EXPECT_EQ(classify_errno(EPIPE, Phase::kFirstReply), ErrorKind::kMaxClients);
  EXPECT_EQ(classify_eof(Phase::kFirstReply), ErrorKind::kMaxClients);
  // On a connection that already answered, a reset is something else.
  EXPECT_EQ(classify_errno(ECONNRESET, Phase::kLaterReply), ErrorKind::kOther);
  EXPECT_EQ(classify_eof(Phase::kLaterReply), ErrorKind::kOther);
}

TEST(ErrorKind, ErrorReplies) {
  EXPECT_EQ(classify_error_reply("-ERR max number of clients reached\r\n"), ErrorKind::kMaxClients);
  EXPECT_EQ(classify_error_reply("-ERR funnel: backend 127.0.0.1:1 unavailable\r\n"),
            ErrorKind::kOther);
  EXPECT_EQ(classify_error_reply("-WRONGTYPE Operation against a key\r\n"), ErrorKind::kOther);
  EXPECT_EQ(classify_errno(EHOSTUNREACH, Phase::kConnect), ErrorKind::kOther);
}

TEST(ErrorKind, NamesAreDistinct) {
  std::set<std::string> names, labels;
  for (ErrorKind kind : kFailureKinds) {
    names.insert(std::string(error_kind_name(kind)));
    labels.insert(std::string(error_kind_label(kind)));
  }
  EXPECT_EQ(names.size(), kFailureKinds.size());
  EXPECT_EQ(labels.size(), kFailureKinds.size());
  EXPECT_EQ(error_kind_name(ErrorKind::kMaxClients), "max_clients");
  EXPECT_EQ(error_kind_name(ErrorKind::kEmfile), "emfile");
}

}  // namespace
}  // namespace funnel::storm
