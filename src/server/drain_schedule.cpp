// DrainSchedule (see drain_schedule.hpp): the spread close's straight line.
#include "server/drain_schedule.hpp"

namespace funnel::server {

std::size_t DrainSchedule::due(std::int64_t elapsed_ms) const {
  if (elapsed_ms <= 0) return window_ms_ <= 0 ? clients_ : 0;
  if (elapsed_ms >= window_ms_) return clients_;
  // ceil(clients * elapsed / window) without overflow for any realistic count (< 2^32 clients,
  // window <= an hour): the product stays below 2^64.
  const auto elapsed = static_cast<std::uint64_t>(elapsed_ms);
  const auto window = static_cast<std::uint64_t>(window_ms_);
  return static_cast<std::size_t>((clients_ * elapsed + window - 1) / window);
}

}  // namespace funnel::server
