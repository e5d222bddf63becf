// BlockingOrder: blocking commands go to Redis in the order they arrived, across workers, with a
// bounded wait for an earlier one that cannot go.
#include "client/blocking_order.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace funnel::client {
namespace {

struct Woken {
  std::vector<unsigned> workers;
};

TEST(BlockingOrder, OnlyTheOldestOpenTicketHasItsTurn) {
  Woken woken;
  BlockingOrder order(2);
  order.set_waker(0, [&] { woken.workers.push_back(0); });
  order.set_waker(1, [&] { woken.workers.push_back(1); });
  const Ticket a = order.take(0, 100);
  const Ticket b = order.take(1, 200);
  const Ticket c = order.take(1, 200);
  EXPECT_TRUE(a);
  EXPECT_TRUE(order.is_turn(a));
  EXPECT_FALSE(order.is_turn(b));
  EXPECT_FALSE(order.is_turn(c));
  order.done(a);  // b's worker learns it may go
  EXPECT_EQ(woken.workers, std::vector<unsigned>{1});
  EXPECT_TRUE(order.is_turn(b));
  EXPECT_FALSE(order.is_turn(c));
}

struct DoneCase {
  const char* name;
  std::vector<int> done;   // indexes of tickets closed, in this order
  std::vector<bool> turn;  // then: whose turn it is, per ticket
  std::vector<unsigned> woken;
};

TEST(BlockingOrder, AbandonedTicketsInAnyOrder) {
  // Tickets 0..3 taken on workers 0, 1, 0, 1.
  const std::vector<DoneCase> cases = {
      {"none", {}, {true, false, false, false}, {}},
      {"the oldest", {0}, {true, true, false, false}, {1}},
      {"a younger one first", {2}, {true, false, false, false}, {}},
      {"younger then oldest", {2, 0}, {true, true, false, false}, {1}},
      {"all but the last", {1, 2, 0}, {true, true, true, true}, {1}},
      {"twice", {0, 0}, {true, true, false, false}, {1}},
      {"everything", {3, 2, 1, 0}, {true, true, true, true}, {}},
  };
  for (const DoneCase& c : cases) {
    Woken woken;
    BlockingOrder order(2);
    order.set_waker(0, [&] { woken.workers.push_back(0); });
    order.set_waker(1, [&] { woken.workers.push_back(1); });
    std::vector<Ticket> tickets;
    for (unsigned i = 0; i < 4; ++i) tickets.push_back(order.take(i % 2, 1000 + i));
    for (int i : c.done) order.done(tickets[i]);
    for (std::size_t i = 0; i < tickets.size(); ++i) {
      // A closed ticket is never asked again; is_turn says whether nothing older is open.
      EXPECT_EQ(order.is_turn(tickets[i]), c.turn[i]) << c.name << " ticket " << i;
    }
    EXPECT_EQ(woken.workers, c.woken) << c.name;
  }
}

TEST(BlockingOrder, NothingOpenLeftBehind) {
  BlockingOrder order(1);
  for (int i = 0; i < 100; ++i) order.done(order.take(0, i));
  EXPECT_EQ(order.open(), 0u);
  order.done(Ticket{5, 12345});  // unknown: ignored
  EXPECT_EQ(order.open(), 0u);
}

// A request read earlier on a slower worker takes its ticket later, yet comes first: the one
// read later waits for it once it is known.
TEST(BlockingOrder, ReadTimeOrdersNotTakeOrder) {
  BlockingOrder order(2);
  const Ticket later = order.take(1, 2'000);
  const Ticket earlier = order.take(0, 1'000);
  EXPECT_TRUE(order.is_turn(earlier));
  EXPECT_FALSE(order.is_turn(later));
  order.done(earlier);
  EXPECT_TRUE(order.is_turn(later));
  // Within one batch (one read time) the order of take() decides.
  const Ticket first = order.take(0, 3'000);
  const Ticket second = order.take(0, 3'000);
  order.done(later);
  EXPECT_TRUE(order.is_turn(first));
  EXPECT_FALSE(order.is_turn(second));
}

TEST(BlockingOrder, WaitsAtMostTheBound) {
  const common::Millis bound = BlockingOrder::kMaxTurnWaitMs;
  EXPECT_FALSE(BlockingOrder::waited_enough(1000, 1000));
  EXPECT_FALSE(BlockingOrder::waited_enough(1000, 1000 + bound - 1));
  EXPECT_TRUE(BlockingOrder::waited_enough(1000, 1000 + bound));
  EXPECT_TRUE(BlockingOrder::waited_enough(1000, 1000 + 10 * bound));
}

}  // namespace
}  // namespace funnel::client
