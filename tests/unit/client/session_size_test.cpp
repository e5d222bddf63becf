// What an idle client costs (issue #20, item 4): after node-redis 6's handshake an idle client
// holds its ClientSession (a heap chunk of sizeof + 8 bytes, rounded up to 16) and its 16-byte
// registry slot; buffers go back to the pool when idle. These bounds keep the rarely used state
// (transactions, pins, subscriptions, names, the PAUSE and failover holds, a user kept in the
// backend: client/session_rare.hpp) and the I/O state of a client with bytes in flight
// (client/session_io.hpp) out of the session, and the hot fields without padding. Session 10's
// end (921b1a2): 344, 40 and 56 bytes; session 9's end: 432, 56 and 64.
#include <gtest/gtest.h>

#include <cstdio>

#include "client/client_session.hpp"

namespace funnel::client {
namespace {

TEST(SessionSize, AnIdleClientsObjectsStaySmall) {
  std::printf("sizeof: ClientSession %zu, ReplyQueue %zu, plan::SessionState %zu, SessionIo %zu\n",
              sizeof(ClientSession), sizeof(ReplyQueue), sizeof(plan::SessionState),
              sizeof(SessionIo));
  // A 224-byte heap chunk, plus the 16-byte registry slot: 240 bytes per idle client, under
  // issue 20's 256.
  EXPECT_LE(sizeof(ClientSession), 216u);
  EXPECT_LE(sizeof(ReplyQueue), 40u);
  EXPECT_LE(sizeof(plan::SessionState), 48u);
}

}  // namespace
}  // namespace funnel::client
