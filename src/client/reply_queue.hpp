// Keeps a client's replies in its request order (no I/O). Each request takes a sequence number;
// replies may arrive in any order (local answers, different links) and leave strictly in
// sequence. In the common case the reply for the oldest request arrives first and is appended
// straight to the output buffer; only early replies are stashed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace funnel::client {

class ReplyQueue {
 public:
  // Takes the next sequence number for a request that will get exactly one reply.
  std::uint64_t open_slot() { return next_++; }
  std::size_t pending() const { return static_cast<std::size_t>(next_ - head_); }
  bool idle() const { return next_ == head_; }
  // Sequence number of the oldest request still waiting for its reply.
  std::uint64_t head() const { return head_; }

  // Adds the reply for `seq`, appending to `out` every reply that is now in order.
  // Returns false (and ignores it) if `seq` is not an open slot (a duplicate: a bug elsewhere).
  bool deliver(std::uint64_t seq, std::string_view reply, std::string& out);

  void release_memory_if_idle();

 private:
  std::uint64_t head_ = 0;
  std::uint64_t next_ = 0;
  std::vector<std::pair<std::uint64_t, std::string>> early_;  // replies ahead of head_
};

}  // namespace funnel::client
