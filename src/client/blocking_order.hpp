// The order in which blocking commands (BLPOP, XREAD BLOCK, ...) reach Redis: the order they
// arrived in, across every worker. Redis wakes blocked clients in the order they blocked; through
// Funnel each blocking command leaves on its own pinned link, and a fresh link's handshake may
// finish before an older one's, so without this a later BLPOP could block first and take the
// element the earlier one was owed.
//
// Each blocking request takes a ticket when its session first handles it, ordered by when its
// worker read it (the batch's clock read right after the read, so a slow parse on a busy worker
// does not reorder it). With several workers a request read at t may still be unparsed on another
// worker when one read at t + a few microseconds goes: no grace is waited for it, because
// delaying every blocking command would let other clients' commands sent after it (a DEL, an
// RPUSH) reach Redis first, which breaks more than it mends (docs/compatibility.md). It is written
// to its link only when no earlier ticket is still open (written or abandoned tickets are done), or
// once it has waited kMaxTurnWaitMs for them: one stuck lease (a pool exhausted, a link that cannot
// connect, a hostile client's pipeline) delays each later blocking command by at most that much,
// however many such tickets there are. No I/O; thread-safe (one mutex, taken a few times per
// blocking command, never on the path of other requests).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "common/clock.hpp"

namespace funnel::client {

// Orders by read time, then by arrival at take() (a worker's batch shares one read time).
struct Ticket {
  std::int64_t read_ns = 0;
  std::uint64_t serial = 0;  // 0: no ticket
  auto operator<=>(const Ticket&) const = default;
  explicit operator bool() const { return serial != 0; }
};

class BlockingOrder {
 public:
  static constexpr common::Millis kMaxTurnWaitMs = 250;

  explicit BlockingOrder(unsigned workers) : wakers_(workers) {}

  // How to wake `worker` when one of its tickets becomes the oldest open one. Called once per
  // worker before any ticket is taken; `wake` runs on the thread that closes the older ticket.
  void set_waker(unsigned worker, std::function<void()> wake);
  // A new ticket for a blocking request read at `read_ns` and handled on `worker`.
  Ticket take(unsigned worker, std::int64_t read_ns);
  // True when no ticket ordered before `ticket` is still open.
  bool is_turn(const Ticket& ticket) const;
  // The ticket's request was written to its link, or will never be (refused, client gone).
  // Idempotent. Wakes the worker of the ticket that becomes the oldest open one.
  void done(const Ticket& ticket);
  std::size_t open() const;

  // Whether a ticket that started waiting at `since` (ms) may go at `now` whatever is open.
  static bool waited_enough(common::Millis since, common::Millis now) {
    return now - since >= kMaxTurnWaitMs;
  }

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_ = 1;
  std::map<Ticket, unsigned> open_;  // ticket -> worker
  std::vector<std::function<void()>> wakers_;
};

}  // namespace funnel::client
