// Keeps a client's replies in its request order (no I/O). Each request takes a sequence number;
// replies may arrive in any order (local answers, different links) and leave strictly in
// sequence. In the common case the reply for the oldest request arrives first and is appended
// straight to the output buffer; only early replies are stashed. A large reply may arrive in
// parts (streamed from its link as it is read): parts of the oldest request's reply go straight
// out too, parts of a later one are stashed until its turn.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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

  // Adds the whole reply for `seq`, appending to `out` every reply that is now in order.
  // Returns false (and ignores it) if `seq` is not an open slot (a duplicate: a bug elsewhere) or
  // if part of its reply was already delivered.
  bool deliver(std::uint64_t seq, std::string_view reply, std::string& out) {
    if (seq != head_ || head_partial_) [[unlikely]]
      return deliver_out_of_line(seq, reply, out);
    out.append(reply);
    ++head_;
    if (early_ != nullptr) [[unlikely]]
      drain_early(out);
    return true;
  }

  enum class Part : std::uint8_t { kAppended, kStashed, kRejected };
  // Adds a part of the reply for `seq` (`last`: the reply is now complete). Parts of the oldest
  // request's reply are appended to `out` (kAppended), with every complete reply that follows
  // once the last part is in; parts of a later one are stashed (kStashed). kRejected: `seq` is
  // not an open slot, or its reply was already complete.
  Part deliver_part(std::uint64_t seq, std::string_view part, bool last, std::string& out);

  // True while the oldest request's reply is partly written (streamed): nothing else may go
  // into the output until it is complete.
  bool head_partial() const { return head_partial_; }

  // Heap bytes held by stashed replies (the owner counts them in the process buffer budget).
  std::size_t stashed_bytes() const { return stashed_bytes_; }

  void release_memory_if_idle();

 private:
  struct Early {
    std::uint64_t seq;
    std::string bytes;
    bool complete;
  };
  bool deliver_out_of_line(std::uint64_t seq, std::string_view reply, std::string& out);
  // Appends stashed replies that are now in order; stops at a stashed partial one (its rest will
  // arrive as parts of the head).
  void drain_early(std::string& out);
  Early* find_early(std::uint64_t seq);
  void stash(std::uint64_t seq, std::string_view bytes, bool complete);
  static std::size_t heap_bytes(const std::string& s) {
    return s.capacity() <= 15 ? 0 : s.capacity();
  }

  std::uint64_t head_ = 0;
  std::uint64_t next_ = 0;
  std::size_t stashed_bytes_ = 0;
  // Replies ahead of head_; null until one arrives early, and again once the queue is idle
  // (release_memory_if_idle): a pointer, not a vector, keeps every client's session 16 bytes
  // smaller (issue #20's idle bytes per client).
  std::unique_ptr<std::vector<Early>> early_;
  bool head_partial_ = false;  // the start of head_'s reply is already out
};

}  // namespace funnel::client
