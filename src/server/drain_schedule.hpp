// After a takeover (funnel --takeover), the old process closes its idle clients spread over a
// window so the fleet reconnects gradually instead of in one burst. This is the no-I/O part: how
// many closes are due by a point in the window, and which clients may be closed now. The worker
// (idle_drain.cpp) carries it out on its tick.
#pragma once

#include <cstddef>
#include <cstdint>

namespace funnel::server {

// What a client is doing when its turn to be closed comes (client::ClientSession::drain_state()).
enum class ClientActivity : std::uint8_t {
  kIdle,      // between requests: its last reply written, nothing read or pending
  kBusy,      // a request in flight, a reply being written, or bytes not parsed yet
  kStateful,  // in MULTI, WATCH, a blocking command or a subscription: closed last
};

class DrainSchedule {
 public:
  // `clients`: the worker's clients when the window opens; `window_ms` 0 closes them all at once.
  DrainSchedule(std::size_t clients, std::int64_t window_ms)
      : clients_(clients), window_ms_(window_ms) {}

  // Closes due by `elapsed_ms` into the window: a straight line from 0 to every client at the
  // end (rounded up, so the last client goes at the end, not after it).
  std::size_t due(std::int64_t elapsed_ms) const;
  bool over(std::int64_t elapsed_ms) const { return elapsed_ms >= window_ms_; }
  std::size_t clients() const { return clients_; }

 private:
  std::size_t clients_;
  std::int64_t window_ms_;
};

// Whether a client may be closed now, given its activity and whether closes are owed (fewer done
// than due). A busy client is never cut mid-request: it is closed when it becomes idle in a later
// turn, or by the final drain, which answers what is in flight first. A stateful one (a
// transaction, a blocked BLPOP, a subscription) waits for the end of the window.
constexpr bool close_now(ClientActivity activity, bool owed, bool window_over) {
  switch (activity) {
    case ClientActivity::kIdle:
      return owed || window_over;
    case ClientActivity::kStateful:
      return window_over;
    case ClientActivity::kBusy:
      return false;
  }
  return false;
}

}  // namespace funnel::server
