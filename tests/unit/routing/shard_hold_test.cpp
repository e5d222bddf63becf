// The per-shard failover hold's gate as tables (routing/shard_hold.hpp): which node's requests
// wait, from which signal, until when.
#include "routing/shard_hold.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace funnel::routing {
namespace {

struct Event {
  enum Kind { kDown, kUp } kind;
  std::uint32_t node;
  common::Millis at;
};

struct Case {
  const char* name;
  common::Millis hold_ms;
  std::vector<Event> events;
  std::uint32_t node;  // asked about
  common::Millis now;
  bool holds;
  bool any;
};

TEST(ShardHoldGate, HoldsANodeFromItsLatestDownSignalUntilItIsUpOrTheHoldEnds) {
  const std::vector<Case> cases = {
      {"nothing heard", 5000, {}, 1, 100, false, false},
      {"link dropped: held", 5000, {{Event::kDown, 1, 100}}, 1, 200, true, true},
      {"another node is not held", 5000, {{Event::kDown, 1, 100}}, 2, 200, false, true},
      {"held up to hold_ms", 5000, {{Event::kDown, 1, 100}}, 1, 5099, true, true},
      {"not past hold_ms", 5000, {{Event::kDown, 1, 100}}, 1, 5100, false, false},
      {"a later signal extends it",
       5000,
       {{Event::kDown, 1, 100}, {Event::kDown, 1, 3000}},
       1,
       7000,
       true,
       true},
      {"an older signal does not shorten it",
       5000,
       {{Event::kDown, 1, 3000}, {Event::kDown, 1, 100}},
       1,
       7000,
       true,
       true},
      {"a link up ends it",
       5000,
       {{Event::kDown, 1, 100}, {Event::kUp, 1, 300}},
       1,
       400,
       false,
       true},  // any() stays a (harmless) maybe: one per-request check, no hold
      {"down again after up",
       5000,
       {{Event::kDown, 1, 100}, {Event::kUp, 1, 300}, {Event::kDown, 1, 500}},
       1,
       600,
       true,
       true},
      {"hold off (failover_hold_ms = 0)", 0, {{Event::kDown, 1, 100}}, 1, 200, false, false},
      {"a node past kMaxNodes never holds",
       5000,
       {{Event::kDown, ShardHoldGate::kMaxNodes, 100}},
       ShardHoldGate::kMaxNodes,
       200,
       false,
       false},
  };
  for (const Case& c : cases) {
    ShardHoldGate gate;
    gate.configure(c.hold_ms);
    for (const Event& e : c.events) {
      if (e.kind == Event::kDown) {
        gate.node_down(e.node, e.at);
      } else {
        gate.node_up(e.node);
      }
    }
    EXPECT_EQ(gate.holds(c.node, c.now), c.holds) << c.name;
    EXPECT_EQ(gate.any(c.now), c.any) << c.name;
  }
}

}  // namespace
}  // namespace funnel::routing
