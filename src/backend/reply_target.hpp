// Where a backend reply goes: a client session (by worker, slab index and generation, so a reply
// for a client that has gone is recognised and dropped) and the client's reply sequence number
// (its slot in the client's ReplyQueue). Plain data, copied across worker threads.
#pragma once

#include <cstdint>
#include <string_view>

namespace funnel::backend {

struct ReplyTarget {
  std::uint32_t session_index = 0;
  std::uint32_t session_generation = 0;
  std::uint64_t seq = 0;
  std::uint16_t worker = 0;
  std::uint8_t flags = 0;

  static constexpr std::uint8_t kAppendFunnelInfo = 1;  // INFO: append Funnel's section
  static constexpr std::uint8_t kRetried = 2;           // already retried once after READONLY
};

// Receives replies (and Funnel's own error replies standing in for them) for client sessions.
// Implemented by the worker, which finds the session or forwards to the session's worker.
// Called on the thread of the link that framed the reply; `reply` is valid only during the call.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void deliver(const ReplyTarget& target, std::string_view reply) = 0;
};

}  // namespace funnel::backend
