// CLIENT REPLY OFF / SKIP against what Redis 7.0.15 sends (checked on a real redis-server, RESP2
// and RESP3 alike): pub/sub confirmations and messages always, replies and errors only when the
// request they answer was not silenced.
#include "client/reply_mode.hpp"

#include <gtest/gtest.h>

namespace funnel::client {
namespace {

struct Row {
  const char* what;
  bool silenced;
  Outgoing outgoing;
  bool sent;
};

TEST(ReplyMode, PubsubPushesIgnoreReplyOffAndSkip) {
  const Row rows[] = {
      {"reply, REPLY ON", false, Outgoing::kReply, true},
      {"reply under OFF or SKIP", true, Outgoing::kReply, false},
      {"subscribe-mode PING under OFF", true, Outgoing::kReply, false},
      {"(un)subscribe confirmation, REPLY ON", false, Outgoing::kPubsubPush, true},
      {"(un)subscribe confirmation under OFF or SKIP", true, Outgoing::kPubsubPush, true},
      {"message while OFF", true, Outgoing::kPubsubPush, true},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(reply_mode_sends(row.silenced, row.outgoing), row.sent) << row.what;
  }
}

}  // namespace
}  // namespace funnel::client
