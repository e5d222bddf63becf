// The subscriber links' PING health check (backend/link_ping.hpp) as a timeline table.
#include "backend/link_ping.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace funnel::backend {
namespace {

using Step = LinkPing::Step;

struct Event {
  enum Kind { kAsk, kPong, kReset } kind;
  common::Millis at;
  Step expect = Step::kWait;  // kAsk: what next() says (kSend is then carried out: sent(at))
};

TEST(LinkPing, PingsEveryIntervalAndCallsAStalledLinkOnlyPastTheStallTimeout) {
  constexpr common::Millis kInterval = 2000, kStall = 600;
  const std::vector<std::vector<Event>> timelines = {
      // Answered PINGs: one per interval, never stalled.
      {{Event::kAsk, 2000, Step::kSend},
       {Event::kAsk, 2500, Step::kWait},
       {Event::kPong, 2501},
       {Event::kAsk, 3999, Step::kWait},
       {Event::kAsk, 4000, Step::kSend},
       {Event::kPong, 4001},
       {Event::kAsk, 5000, Step::kWait}},
      // No reply: waits up to the stall timeout, then stalled (and stays so).
      {{Event::kAsk, 2000, Step::kSend},
       {Event::kAsk, 2600, Step::kWait},
       {Event::kAsk, 2601, Step::kStalled},
       {Event::kAsk, 9000, Step::kStalled}},
      // A reply late but before the timeout: fine. One PING at a time, even past the interval.
      {{Event::kAsk, 2000, Step::kSend},
       {Event::kPong, 2599},
       {Event::kAsk, 4000, Step::kSend},
       {Event::kAsk, 4400, Step::kWait}},
      // The link reconnected (reset): the unanswered PING no longer counts.
      {{Event::kAsk, 2000, Step::kSend},
       {Event::kReset, 2100},
       {Event::kAsk, 3000, Step::kWait},
       {Event::kAsk, 4000, Step::kSend}},
  };
  for (std::size_t t = 0; t < timelines.size(); ++t) {
    LinkPing ping;
    for (const Event& e : timelines[t]) {
      if (e.kind == Event::kPong) {
        ping.answered();
      } else if (e.kind == Event::kReset) {
        ping.reset();
      } else {
        const Step step = ping.next(e.at, kInterval, kStall);
        EXPECT_EQ(step, e.expect) << "timeline " << t << " at " << e.at;
        if (step == Step::kSend) ping.sent(e.at);
      }
    }
  }
}

}  // namespace
}  // namespace funnel::backend
