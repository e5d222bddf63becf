// SessionIo and its per-worker pool (client/session_io.hpp), and the StringInterner's 2-byte
// ids (client/session_context.hpp): what lets an idle client hold no I/O state and two small ids
// instead of two buffers and two pointers (issue #20 item 4, idle bytes per client).
#include "client/session_io.hpp"

#include <gtest/gtest.h>

#include "client/session_context.hpp"

namespace funnel::client {
namespace {

TEST(SessionIo, TheSharedEmptyBlockHoldsNothing) {
  EXPECT_TRUE(kNoSessionIo.unused());
  EXPECT_TRUE(kNoSessionIo.in.empty());
  EXPECT_TRUE(kNoSessionIo.out.empty());
  EXPECT_EQ(kNoSessionIo.out_sent, 0u);
}

TEST(SessionIo, ABlockWithBytesOrAParsePositionIsInUse) {
  struct Case {
    const char* name;
    void (*fill)(SessionIo&);
  };
  const Case cases[] = {
      {"input bytes", [](SessionIo& io) { io.in.assign(100, 'x'); }},
      {"input buffer kept (capacity, no bytes)", [](SessionIo& io) { io.in.reserve(512); }},
      {"output bytes", [](SessionIo& io) { io.out.assign(100, 'x'); }},
      {"output buffer kept", [](SessionIo& io) { io.out.reserve(512); }},
      {"bytes written, the rest not", [](SessionIo& io) { io.out_sent = 3; }},
      {"a partial request",
       [](SessionIo& io) { io.partial = std::make_unique<resp::ParsePosition>(); }},
  };
  for (const Case& c : cases) {
    SessionIo io;
    EXPECT_TRUE(io.unused()) << c.name;
    c.fill(io);
    EXPECT_FALSE(io.unused()) << c.name;
  }
}

TEST(SessionIoPool, GivenBackBlocksAreReusedAndTheListIsBounded) {
  SessionIoPool pool;
  SessionIo* first = pool.take();
  pool.give(first);
  EXPECT_EQ(pool.kept(), 1u);
  EXPECT_EQ(pool.take(), first) << "a given-back block is taken again before a new one";
  std::vector<SessionIo*> taken{first};
  for (std::size_t i = 0; i < SessionIoPool::kMaxKept + 50; ++i) taken.push_back(pool.take());
  for (SessionIo* block : taken) pool.give(block);
  EXPECT_EQ(pool.kept(), SessionIoPool::kMaxKept) << "past the bound, blocks are freed";
}

TEST(StringInterner, SmallIdsForTheSameTextAndNoneWhenFull) {
  StringInterner strings;
  EXPECT_EQ(strings.text(0), "");
  const std::uint16_t name = strings.intern("node-redis");
  const std::uint16_t version = strings.intern("6.3.1");
  EXPECT_NE(name, 0);
  EXPECT_NE(version, name);
  EXPECT_EQ(strings.intern("node-redis"), name);
  EXPECT_EQ(strings.text(name), "node-redis");
  EXPECT_EQ(strings.text(version), "6.3.1");
  for (std::size_t i = 2; i < StringInterner::kMaxStrings; ++i) {
    EXPECT_NE(strings.intern("lib-" + std::to_string(i)), 0);
  }
  EXPECT_EQ(strings.intern("one too many"), 0) << "past kMaxStrings a session shows none";
  EXPECT_EQ(strings.text(name), "node-redis") << "earlier ids keep their text";
  EXPECT_EQ(strings.text(strings.intern("lib-1023")), "lib-1023");
}

}  // namespace
}  // namespace funnel::client
