// ReadyWait: how a worker's Asio reactor waits for the net::Poller's epoll set, without the
// epoll_ctl that Asio's own async_wait costs on every wait.
//
// Asio watches the poller's epoll descriptor (edge-triggered, registered once). Its async_wait
// re-registers the descriptor (EPOLL_CTL_MOD, same events) every time it is started, because a
// wait cannot be tried "speculatively": that was one system call per wake-up of the worker, about
// five per invocation when invocations come one at a time (docs/benchmarks.md, issue 20). This is
// a reactor operation whose attempt *is* the poller's non-blocking epoll_wait: started, it takes
// the ready events at once if there are any; otherwise it is queued on the descriptor with no
// system call, and Asio attempts it again when the descriptor's next edge arrives. It reports
// "exhausted" when it took fewer events than fit in a batch, so the next start queues without
// trying (no empty epoll_wait after a drained set); an edge that arrives in between makes Asio
// try again, as it does for its own sockets.
//
// It uses Asio's reactor interface (boost::asio::detail: epoll_reactor, reactor_op), which the
// Debian 12 Boost (1.81) provides on Linux; the build fails, rather than silently falling back,
// if the reactor is not epoll (poller.cpp).
#pragma once

#include <sys/epoll.h>

#include <cstddef>

#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>

namespace funnel::net {

class ReadyWait : public boost::asio::detail::reactor_op {
 public:
  // Called on the worker's thread with the events taken (n > 0), or with an error (the wait was
  // cancelled: stop(), or the io_context shut down with owner gone).
  using Ready = void (*)(void* owner, const boost::system::error_code& ec, int n);

  ReadyWait(int epoll_fd, epoll_event* events, int capacity, Ready ready, void* owner)
      : reactor_op(boost::system::error_code(), &ReadyWait::attempt, &ReadyWait::complete),
        epoll_fd_(epoll_fd),
        events_(events),
        capacity_(capacity),
        ready_(ready),
        owner_(owner) {}

  // The owner is going away while this operation is still queued in Asio: it deletes itself
  // when Asio completes or destroys it.
  void orphan() { owner_ = nullptr; }
  bool queued() const { return queued_; }
  void set_queued() { queued_ = true; }

 private:
  static status attempt(reactor_op* base);
  static void complete(void* io_owner, boost::asio::detail::scheduler_operation* base,
                       const boost::system::error_code&, std::size_t);

  int epoll_fd_;
  epoll_event* events_;
  int capacity_;
  int taken_ = 0;
  Ready ready_;
  void* owner_;
  bool queued_ = false;
};

}  // namespace funnel::net
