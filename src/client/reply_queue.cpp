// ReplyQueue: ordering of replies per client (see reply_queue.hpp).
#include "client/reply_queue.hpp"

#include <algorithm>

namespace funnel::client {

bool ReplyQueue::deliver(std::uint64_t seq, std::string_view reply, std::string& out) {
  if (seq < head_ || seq >= next_) return false;
  if (seq != head_) {
    const bool duplicate = std::any_of(early_.begin(), early_.end(),
                                       [&](const auto& early) { return early.first == seq; });
    if (duplicate) return false;
    early_.emplace_back(seq, std::string(reply));
    return true;
  }
  out.append(reply);
  ++head_;
  // Drain stashed replies that are now in order. early_ is tiny in practice (a few local replies
  // overtaking backend ones), so a linear search beats any ordered structure.
  while (!early_.empty()) {
    auto it = std::find_if(early_.begin(), early_.end(),
                           [&](const auto& early) { return early.first == head_; });
    if (it == early_.end()) break;
    out.append(it->second);
    ++head_;
    *it = std::move(early_.back());
    early_.pop_back();
  }
  return true;
}

void ReplyQueue::release_memory_if_idle() {
  if (early_.empty() && early_.capacity() > 0) early_ = {};
}

}  // namespace funnel::client
