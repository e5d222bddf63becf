// Pub/sub commands and pushes as the subscriber link sends and reads them (no I/O).
#include "backend/pubsub_protocol.hpp"

#include <gtest/gtest.h>

namespace funnel::backend {
namespace {

TEST(PubsubProtocol, EncodesEachKindOfCommand) {
  EXPECT_EQ(encode_pubsub_command(PubsubKind::kChannel, true, {"a", "bc"}),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n$2\r\nbc\r\n");
  EXPECT_EQ(encode_pubsub_command(PubsubKind::kPattern, false, {"p*"}),
            "*2\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n");
  EXPECT_EQ(encode_pubsub_command(PubsubKind::kShard, true, {""}),
            "*2\r\n$10\r\nssubscribe\r\n$0\r\n\r\n");
}

TEST(PubsubProtocol, ReadsMessagesByChannelOrPattern) {
  PubsubPush push = read_pubsub_push(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
  EXPECT_EQ(push.type, PubsubPush::Type::kMessage);
  EXPECT_EQ(push.kind, PubsubKind::kChannel);
  EXPECT_EQ(push.key, "ch");
  push = read_pubsub_push(">4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npz\r\n$1\r\nx\r\n");
  EXPECT_EQ(push.type, PubsubPush::Type::kMessage);
  EXPECT_EQ(push.kind, PubsubKind::kPattern);
  EXPECT_EQ(push.key, "p*");  // fanned out by the pattern the clients subscribed to
  push = read_pubsub_push("*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$0\r\n\r\n");
  EXPECT_EQ(push.type, PubsubPush::Type::kMessage);
  EXPECT_EQ(push.kind, PubsubKind::kShard);
  EXPECT_EQ(push.key, "s1");
}

TEST(PubsubProtocol, ReadsConfirmations) {
  PubsubPush push = read_pubsub_push(">3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:1\r\n");
  EXPECT_EQ(push.type, PubsubPush::Type::kSubscribed);
  EXPECT_EQ(push.kind, PubsubKind::kPattern);
  EXPECT_EQ(push.key, "p*");
  push = read_pubsub_push(">3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:0\r\n");
  EXPECT_EQ(push.type, PubsubPush::Type::kUnsubscribed);
  EXPECT_EQ(push.kind, PubsubKind::kShard);
  // A binary-safe key with CRLF inside is read by its length.
  push = read_pubsub_push(">3\r\n$9\r\nsubscribe\r\n$4\r\na\r\nb\r\n:1\r\n");
  EXPECT_EQ(push.key, "a\r\nb");
}

TEST(PubsubProtocol, AnythingElseIsOther) {
  EXPECT_EQ(read_pubsub_push("+PONG\r\n").type, PubsubPush::Type::kOther);
  EXPECT_EQ(read_pubsub_push(">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n").type,
            PubsubPush::Type::kOther);
  EXPECT_EQ(read_pubsub_push(">2\r\n$10\r\ninvalidate\r\n*0\r\n").type, PubsubPush::Type::kOther);
  EXPECT_EQ(read_pubsub_push(">3\r\n$5\r\nother\r\n$1\r\na\r\n:1\r\n").type,
            PubsubPush::Type::kOther);
  EXPECT_EQ(read_pubsub_push(">3\r\n$9\r\nsubscr").type, PubsubPush::Type::kOther);
}

}  // namespace
}  // namespace funnel::backend
