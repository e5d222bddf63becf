// ReplyQueue: ordering of replies per client (see reply_queue.hpp).
#include "client/reply_queue.hpp"

#include <algorithm>
#include <utility>

namespace funnel::client {

bool ReplyQueue::deliver_out_of_line(std::uint64_t seq, std::string_view reply, std::string& out) {
  if (seq < head_ || seq >= next_ || (seq == head_ && head_partial_)) return false;
  if (seq == head_) {
    out.append(reply);
    ++head_;
    drain_early(out);
    return true;
  }
  if (find_early(seq) != nullptr) return false;
  stash(seq, reply, true);
  return true;
}

ReplyQueue::Part ReplyQueue::deliver_part(std::uint64_t seq, std::string_view part, bool last,
                                          std::string& out) {
  if (seq < head_ || seq >= next_) return Part::kRejected;
  if (seq == head_) {
    out.append(part);
    head_partial_ = !last;
    if (last) {
      ++head_;
      drain_early(out);
    }
    return Part::kAppended;
  }
  Early* early = find_early(seq);
  if (early == nullptr) {
    stash(seq, part, last);
    return Part::kStashed;
  }
  if (early->complete) return Part::kRejected;
  const std::size_t before = heap_bytes(early->bytes);
  early->bytes.append(part);
  early->complete = last;
  stashed_bytes_ += heap_bytes(early->bytes) - before;
  return Part::kStashed;
}

// early_ is tiny in practice (a few local replies overtaking backend ones), so a linear search
// beats any ordered structure.
ReplyQueue::Early* ReplyQueue::find_early(std::uint64_t seq) {
  if (early_ == nullptr) return nullptr;
  auto it = std::find_if(early_->begin(), early_->end(),
                         [&](const Early& early) { return early.seq == seq; });
  return it == early_->end() ? nullptr : &*it;
}

void ReplyQueue::stash(std::uint64_t seq, std::string_view bytes, bool complete) {
  if (early_ == nullptr) early_ = std::make_unique<std::vector<Early>>();
  early_->push_back(Early{seq, std::string(bytes), complete});
  stashed_bytes_ += heap_bytes(early_->back().bytes);
}

void ReplyQueue::drain_early(std::string& out) {
  while (early_ != nullptr && !early_->empty()) {
    Early* early = find_early(head_);
    if (early == nullptr) break;
    out.append(early->bytes);
    stashed_bytes_ -= heap_bytes(early->bytes);
    const bool complete = early->complete;
    // Swapped, not move-assigned: a string move-assigned from a short one keeps its own
    // allocation, and the stash would keep (and count) the bytes of the reply that left.
    std::swap(*early, early_->back());
    early_->pop_back();
    if (!complete) {
      head_partial_ = true;  // its remaining parts go straight out
      break;
    }
    ++head_;
  }
}

void ReplyQueue::release_memory_if_idle() {
  if (early_ != nullptr && early_->empty()) early_.reset();
}

}  // namespace funnel::client
