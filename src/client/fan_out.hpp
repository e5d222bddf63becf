// A client's cross-slot requests in flight (issue #16, item 4): for each, the reply slot it holds
// in the ReplyQueue and the merge its parts' replies feed (routing/reply_merge.hpp). Parts go out
// as ordinary requests whose ReplyTarget carries kFanOutPart and the part's index in the high
// bits of seq; the merged reply fills the one slot when the last part's reply is in.
// Allocated on a session's first cross-slot request only. Worker thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "routing/reply_merge.hpp"

namespace funnel::client {

// A part's ReplyTarget::seq: the client's seq below bit 48, the part index above. A client never
// sends 2^48 requests; a split has at most 16384 parts.
inline constexpr int kPartShift = 48;
inline constexpr std::uint64_t part_seq(std::uint64_t seq, std::size_t part) {
  return seq | (static_cast<std::uint64_t>(part) << kPartShift);
}
inline constexpr std::uint64_t seq_of_part(std::uint64_t encoded) {
  return encoded & ((std::uint64_t{1} << kPartShift) - 1);
}
inline constexpr std::size_t index_of_part(std::uint64_t encoded) {
  return static_cast<std::size_t>(encoded >> kPartShift);
}

class SlotFanOuts {
 public:
  struct Entry {
    std::uint64_t seq;
    routing::ReplyMerge merge;
    bool silent;  // CLIENT REPLY OFF/SKIP: the slot closes without bytes
  };
  Entry& add(std::uint64_t seq, routing::ReplyMerge merge, bool silent) {
    entries_.push_back(Entry{seq, std::move(merge), silent});
    return entries_.back();
  }
  // Few at a time (one per pipelined cross-slot request): a linear search.
  Entry* find(std::uint64_t seq) {
    for (Entry& entry : entries_) {
      if (entry.seq == seq) return &entry;
    }
    return nullptr;
  }
  void remove(std::uint64_t seq) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].seq != seq) continue;
      std::swap(entries_[i], entries_.back());
      entries_.pop_back();
      return;
    }
  }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace funnel::client
