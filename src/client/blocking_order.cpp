// BlockingOrder: tickets for blocking commands, in arrival order (see blocking_order.hpp).
#include "client/blocking_order.hpp"

namespace funnel::client {

void BlockingOrder::set_waker(unsigned worker, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  if (worker < wakers_.size()) wakers_[worker] = std::move(wake);
}

Ticket BlockingOrder::take(unsigned worker, std::int64_t read_ns) {
  std::lock_guard lock(mutex_);
  const Ticket ticket{read_ns, next_++};
  open_.emplace(ticket, worker);
  return ticket;
}

bool BlockingOrder::is_turn(const Ticket& ticket) const {
  std::lock_guard lock(mutex_);
  return open_.empty() || !(open_.begin()->first < ticket);
}

void BlockingOrder::done(const Ticket& ticket) {
  std::function<void()>* wake = nullptr;
  {
    std::lock_guard lock(mutex_);
    const auto it = open_.find(ticket);
    if (it == open_.end()) return;
    const bool was_oldest = it == open_.begin();
    open_.erase(it);
    if (was_oldest && !open_.empty()) {
      const unsigned worker = open_.begin()->second;
      if (worker < wakers_.size() && wakers_[worker]) wake = &wakers_[worker];
    }
  }
  // Outside the lock: the waker posts to another worker's loop. Wakers are set before any
  // ticket exists and never replaced, so the pointer stays valid.
  if (wake != nullptr) (*wake)();
}

std::size_t BlockingOrder::open() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace funnel::client
