// Lanes: which backend link a client's forwarded request travels on (the shared link of a
// database pool, or one pinned link lease). A client's requests must execute in its own order,
// and two links give no order between them, so a request for another lane waits until every
// request the client still has in flight on the current lane is answered (the lane barrier).
// No I/O; plan::SessionState holds one LaneTracker. Pub/sub and other stateful features reuse it by
// giving their link a lane of its own.
#pragma once

#include <bitset>
#include <cstdint>

namespace funnel::plan {

// The worker's shared-link layout (SessionState::pool_layout, bumped by each reload of
// backend.connections_per_node) has 7 bits in a shared lane, so its values repeat. A repeat would
// let a client's request on the new layout pass the lane barrier while its request on the old
// layout of the same number is still in flight (two links: no order). So the next layout skips
// every value some client still has requests in flight on (`in_flight`, bit per layout); with
// all 128 in flight at once (127 reloads during one request, each with a client left behind on
// it), it takes the next value anyway.
inline constexpr unsigned kPoolLayouts = 128;
inline std::uint8_t next_pool_layout(std::uint8_t current,
                                     const std::bitset<kPoolLayouts>& in_flight) {
  for (unsigned step = 1; step <= kPoolLayouts; ++step) {
    const auto next = static_cast<std::uint8_t>((current + step) % kPoolLayouts);
    if (!in_flight.test(next)) return next;
  }
  return static_cast<std::uint8_t>((current + 1) % kPoolLayouts);
}

// A lane id. Shared lanes are the database number (with the pool layout in the top bits below
// kPinnedBit: SessionState::shared_lane); pinned lanes carry a per-session lease
// serial with the top bit set, so two successive leases (maybe on different links) differ.
struct Lane {
  std::uint32_t value = 0;

  static constexpr std::uint32_t kPinnedBit = 0x8000'0000u;
  static constexpr Lane shared(std::uint32_t db) { return Lane{db}; }
  static constexpr Lane pinned(std::uint32_t lease_serial) {
    return Lane{kPinnedBit | lease_serial};
  }
  constexpr bool is_pinned() const { return (value & kPinnedBit) != 0; }
  constexpr bool operator==(const Lane&) const = default;
};

// Counts the client's requests in flight on its current lane and decides when a request for
// another lane must wait. The common case (same lane) costs one comparison.
class LaneTracker {
 public:
  // True if a request for `next` must wait for the in-flight requests to be answered first.
  bool must_wait(Lane next) const { return in_flight_ != 0 && next != current_; }
  // A request was handed to a backend link on `lane` (must_wait(lane) was false).
  void sent(Lane lane) {
    current_ = lane;
    ++in_flight_;
  }
  // A backend reply (or an error standing in for one) arrived. Returns true when that was the
  // last one in flight: a request held at the barrier may go now.
  bool answered() {
    if (in_flight_ != 0) --in_flight_;
    return in_flight_ == 0;
  }
  std::uint32_t in_flight() const { return in_flight_; }
  Lane current() const { return current_; }

 private:
  Lane current_ = Lane::shared(0);
  std::uint32_t in_flight_ = 0;
};

}  // namespace funnel::plan
