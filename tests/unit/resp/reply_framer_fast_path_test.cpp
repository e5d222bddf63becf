// Differential test of ReplyFramer's one-pass fast path for simple replies. A reply framed at the
// top level may take the fast path; the same reply as the only element of an array ("*1\r\n"
// before it) is always framed by the state machine. Both must agree on the status, the length
// (4 bytes apart) and the error, with max_reply_bytes moved by the same 4 bytes. The generator
// aims at the fast path's edges: digit counts, signs, the null bulk, line lengths around its
// 32-byte window, bad line ends and truncation.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "feed.hpp"
#include "random_input.hpp"

namespace funnel::resp::testing {
namespace {

constexpr std::string_view kWrapper = "*1\r\n";

class ReplyGenerator : public RandomInput {
 public:
  explicit ReplyGenerator(std::uint32_t seed) : RandomInput(seed) {}

  std::string next() {
    std::string out;
    switch (uniform(4)) {
      case 0:
        out = "+" + text(pick({0, 2, 4, 28, 29, 30, 31, 40}));
        break;
      case 1:
        out = "-ERR " + text(pick({0, 10, 24, 25, 26, 27, 60}));
        break;
      case 2:
        out = ":" + integer();
        break;
      default:
        out = bulk();
        break;
    }
    if (!out.starts_with('$') || out[1] == '-') out.append(line_end());
    if (one_in(4)) out.append("+OK\r\n");  // a pipelined follower
    if (one_in(6)) out[uniform(out.size())] = "\r\n0-+$:x"[uniform(8)];
    if (one_in(4)) out.resize(uniform(out.size() + 1));
    return out;
  }

 private:
  std::string integer() {
    std::string digits = std::to_string(rng_()) + std::to_string(rng_()) + std::to_string(rng_());
    digits.resize(pick({0, 1, 2, 17, 18, 19, 20, 25}));
    const std::string sign[] = {"", "", "-", "+", "--"};
    return sign[uniform(5)] + digits;
  }

  std::string bulk() {
    if (one_in(8)) return pick_string({"$-1", "$-2", "$-", "$?", "$+3", "$03", "$"});
    const std::size_t len = pick({0, 1, 3, 9, 10, 99, 100, 1000});
    std::string out = "$" + std::to_string(len) + line_end();
    out.append(len, 'v');
    return out.append(line_end());
  }

  std::string line_end() {
    return one_in(20) ? pick_string({"\n", "\r", "\r\r\n", "\n\r"}) : "\r\n";
  }
  std::string text(std::size_t n) { return std::string(n, static_cast<char>('a' + uniform(26))); }
  std::string pick_string(std::initializer_list<const char*> values) {
    return values.begin()[uniform(values.size())];
  }
};

TEST(ReplyFramerFastPath, AgreesWithTheStateMachine) {
  ReplyGenerator generator(20261127);
  std::size_t complete = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string reply = generator.next();
    if (reply.empty()) continue;
    for (std::size_t max : {std::size_t{1} << 30, reply.size(), reply.size() - 1, std::size_t{8}}) {
      FramerLimits limits;
      limits.max_reply_bytes = max;
      FramerLimits wrapped_limits;
      wrapped_limits.max_reply_bytes = max + kWrapper.size();
      const FrameOutcome top = frame_whole(reply, limits);
      FrameOutcome element = frame_whole(std::string(kWrapper) + reply, wrapped_limits);
      if (element.status == FrameStatus::kComplete) {
        element.length -= kWrapper.size();
        element.kind = top.kind;  // the array's kind; the element's is checked by the table tests
      }
      ASSERT_EQ(top, element) << "reply: " << ::testing::PrintToString(reply) << " max " << max;
      complete += top.status == FrameStatus::kComplete;
    }
  }
  EXPECT_GT(complete, 10000u);  // the generator does reach the fast path's success case
}

TEST(ReplyFramerFastPath, KindsOfTheSimpleReplies) {
  EXPECT_EQ(frame_whole("+OK\r\n", {}).kind, ReplyKind::kSimpleString);
  EXPECT_EQ(frame_whole("-ERR x\r\n", {}).kind, ReplyKind::kError);
  EXPECT_EQ(frame_whole(":-12\r\n", {}).kind, ReplyKind::kInteger);
  EXPECT_EQ(frame_whole("$3\r\nabc\r\n", {}).kind, ReplyKind::kBulk);
  const FrameOutcome null_bulk = frame_whole("$-1\r\n+OK\r\n", {});
  EXPECT_EQ(null_bulk.kind, ReplyKind::kBulk);
  EXPECT_EQ(null_bulk.length, 5u);
}

TEST(ReplyFramerFastPath, ResetAfterAPartialFirstLine) {
  ReplyFramer framer;
  std::string part = "+O";
  ASSERT_EQ(framer.frame(part), FrameStatus::kNeedMore);
  framer.reset();
  std::string other = "$2\r\nab\r\n";
  ASSERT_EQ(framer.frame(other), FrameStatus::kComplete);
  EXPECT_EQ(framer.length(), other.size());
  framer.reset();
  std::string partial_bulk = "$5\r\nab";
  ASSERT_EQ(framer.frame(partial_bulk), FrameStatus::kNeedMore);
  framer.reset();  // drops the half-read bulk: the next reply starts afresh
  std::string ok = "+OK\r\n";
  ASSERT_EQ(framer.frame(ok), FrameStatus::kComplete);
  EXPECT_EQ(framer.length(), ok.size());
}

}  // namespace
}  // namespace funnel::resp::testing
