// What the owner of a descriptor watched by net::Poller implements (ClientSession): the poller
// knows its targets only through this.
#pragma once

#include <cstdint>

namespace funnel::net {

class PollTarget {
 public:
  // Readiness edges for the target's descriptor: epoll's EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP
  // and EPOLLERR bits, edge-triggered (an edge is reported once). Called on the poller's thread.
  virtual void on_poll_events(std::uint32_t events) = 0;
  // Once after the batch of events in which the target called Poller::after_batch: every event of
  // that batch has been handed out, so the target may now be deleted.
  virtual void on_batch_end() {}

 protected:
  ~PollTarget() = default;  // never deleted through this interface
};

}  // namespace funnel::net
