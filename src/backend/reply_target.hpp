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
  std::int64_t started_ns = 0;  // when the client's request was read (metrics)
  std::uint16_t worker = 0;
  std::uint16_t command_id = 0;    // command::command_id of the request (metrics label)
  std::uint8_t command_class = 0;  // metrics::CommandClass
  std::uint8_t flags = 0;
  // Replies to read and drop before the one that goes to the client: a MULTI … EXEC block is
  // one request with commands + 2 replies, of which only EXEC's reaches the client.
  std::uint16_t extra_replies = 0;

  static constexpr std::uint8_t kAppendFunnelInfo = 1;  // INFO: append Funnel's section
  static constexpr std::uint8_t kRetried = 2;           // already retried once after READONLY
  static constexpr std::uint8_t kNoReply = 4;           // CLIENT REPLY OFF/SKIP: drop the reply
  // A read-only request sent to a replica: if that node fails it (connection lost, timeout,
  // -LOADING, -MASTERDOWN) it goes to another node instead of failing (it changed nothing).
  static constexpr std::uint8_t kRetryRead = 8;
  // Read-your-writes: a request that may write; its reply tells the session when it was done.
  static constexpr std::uint8_t kWrite = 16;
};

// How long a reply spent on the backend side, and when it was handed over (for metrics).
struct ReplyTiming {
  std::int64_t backend_ns = 0;  // from the request's write to its reply's read; 0 if unknown
  std::int64_t now_ns = 0;      // when the reply was framed (one clock read per batch)
};

// Receives replies (and Funnel's own error replies standing in for them) for client sessions.
// Implemented by the worker, which finds the session or forwards to the session's worker.
// Called on the thread of the link that framed the reply; `reply` is valid only during the call.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void deliver(const ReplyTarget& target, std::string_view reply,
                       const ReplyTiming& timing) = 0;
};

}  // namespace funnel::backend
