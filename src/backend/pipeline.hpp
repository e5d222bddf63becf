// The in-flight FIFO of one backend link (no I/O): every request written to the link has an
// entry, in write order; each reply the link frames belongs to the front entry. Entries remember
// the byte range of their request in the link's output stream (kept until the reply arrives, so a
// READONLY-rejected write can be retried) and their deadline.
#pragma once

#include <cstdint>

#include "backend/reply_target.hpp"
#include "common/clock.hpp"
#include "common/ring_queue.hpp"

namespace funnel::backend {

struct InFlight {
  ReplyTarget target;
  std::uint64_t begin = 0;  // absolute offsets of the request in the link's output stream
  std::uint64_t end = 0;
  common::Millis submitted = 0;  // when the request was handed to the link
  common::Millis deadline = 0;
  std::int64_t written_ns = 0;  // when the write that carried its last byte returned
  bool abandoned = false;       // the client already got an error (timeout); drop the late reply
  bool streaming = false;       // its reply is being passed on in parts (a large reply in progress)
  bool discarding = false;      // streaming, but its client is gone: drop the rest
  bool unpaced = false;         // streaming to a slow reader: the link no longer pauses for it
  std::uint16_t replies_seen = 0;  // replies already read for it (see ReplyTarget::extra_replies)
  bool has_followers = false;      // coalesced reads wait for a copy of its reply (coalescer.hpp)
  bool reauth = false;             // the link's own re-AUTH (abandoned too: no client waits for it)
};

class Pipeline {
 public:
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  InFlight& front() { return entries_.front(); }
  const InFlight& front() const { return entries_.front(); }
  InFlight& at(std::size_t i) { return entries_[i]; }
  const InFlight& at(std::size_t i) const { return entries_[i]; }
  void push(const InFlight& entry) { entries_.push_back(entry); }

  // A reply was framed for the front entry. Returns true if it is the entry's last (the one for
  // its client; pop() the entry after handling it), false for an inner reply of a block.
  bool take_reply() {
    InFlight& entry = entries_.front();
    if (entry.replies_seen < entry.target.extra_replies) {
      ++entry.replies_seen;
      return false;
    }
    return true;
  }
  // The front entry will be written again on a new connection: its replies start over.
  void restart_front() {
    if (!entries_.empty()) entries_.front().replies_seen = 0;
  }
  // Absolute indexes: every entry ever pushed has one (the coalescer names leaders by it).
  std::uint64_t first_absolute() const { return popped_; }
  std::uint64_t end_absolute() const { return popped_ + entries_.size(); }

  void pop() {
    entries_.pop_front();
    ++popped_;
    if (unmarked_ > 0) --unmarked_;
    if (held_from_ != kNoneHeld && held_from_ > 0) --held_from_;
  }

  // Where writing may stop so that at most `bound` entries are written and unanswered at once
  // (backend.max_in_flight_per_link; 0: no bound): `end` (the output's end), or the end of the
  // bound-th entry. A block (MULTI ... EXEC) is one entry. Entries past it wait unwritten.
  std::uint64_t write_limit(std::uint64_t end, std::size_t bound) const {
    if (bound == 0 || entries_.size() <= bound) return end;
    const std::uint64_t last = entries_[bound - 1].end;
    return last < end ? last : end;
  }
  // write_limit held back the entries from index `bound` on: when they are written,
  // mark_written reports how long each waited.
  void note_held(std::size_t bound) {
    if (bound < held_from_) held_from_ = bound < unmarked_ ? unmarked_ : bound;
  }
  // Stamps every entry whose bytes are now all written (end <= sent) with now_ns.
  void mark_written(std::uint64_t sent, std::int64_t now_ns) {
    if (held_from_ != kNoneHeld) [[unlikely]]
      return mark_held_written(sent, now_ns, [](const InFlight&) {});
    while (unmarked_ < entries_.size() && entries_[unmarked_].end <= sent) {
      entries_[unmarked_++].written_ns = now_ns;
    }
  }
  // The same, calling waited(entry) for each entry written now that note_held() held back.
  template <typename Waited>
  void mark_written(std::uint64_t sent, std::int64_t now_ns, Waited&& waited) {
    if (held_from_ != kNoneHeld) [[unlikely]]
      return mark_held_written(sent, now_ns, waited);
    mark_written(sent, now_ns);
  }

  // Marks every not-yet-abandoned entry whose deadline has passed as abandoned and calls
  // on_expired(entry) for each, oldest first. Entries keep their place: their late replies are
  // still read from the link and discarded. Deadlines are not monotonic across entries (retries
  // and handoffs carry their own), so every entry is checked; callers run this on a coarse tick.
  template <typename OnExpired>
  void expire(common::Millis now, OnExpired&& on_expired) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      InFlight& entry = entries_[i];
      // A reply being streamed is arriving: its client's limits, not the deadline, govern it.
      if (!entry.abandoned && !entry.streaming && entry.deadline <= now) {
        entry.abandoned = true;
        on_expired(entry);
      }
    }
  }

  // Removes all entries, calling fn(entry) for each not abandoned, oldest first.
  template <typename Fn>
  void drain(Fn&& fn) {
    unmarked_ = 0;
    held_from_ = kNoneHeld;
    while (!entries_.empty()) {
      InFlight entry = entries_.front();
      entries_.pop_front();
      ++popped_;
      if (!entry.abandoned) fn(entry);
    }
  }

  void release_if_empty() { entries_.release_if_empty(); }

 private:
  static constexpr std::size_t kNoneHeld = SIZE_MAX;
  template <typename Waited>
  void mark_held_written(std::uint64_t sent, std::int64_t now_ns, Waited&& waited) {
    while (unmarked_ < entries_.size() && entries_[unmarked_].end <= sent) {
      InFlight& entry = entries_[unmarked_];
      entry.written_ns = now_ns;
      if (unmarked_ >= held_from_) waited(entry);
      ++unmarked_;
    }
    // Held entries are the unwritten tail: those still unwritten wait on.
    held_from_ = unmarked_ < entries_.size() ? unmarked_ : kNoneHeld;
  }

  common::RingQueue<InFlight> entries_;
  std::size_t unmarked_ = 0;           // entries before this index have written_ns set
  std::uint64_t popped_ = 0;           // entries popped so far: the absolute index of front()
  std::size_t held_from_ = kNoneHeld;  // entries from this index on were held back unwritten
};

}  // namespace funnel::backend
