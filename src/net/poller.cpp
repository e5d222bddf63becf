// Poller: the worker's epoll set for client sockets, watched by Asio as one descriptor.
#include "net/poller.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/io_context.hpp>

namespace funnel::net {

// The reactor interface used here (register_descriptor, start_op with a speculative attempt) is
// epoll_reactor's; another reactor (io_uring, select) would need its own waiting.
#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "net::Poller needs Asio's epoll reactor"
#endif

Poller::Poller(asio::io_context& io)
    : reactor_(asio::use_service<asio::detail::epoll_reactor>(io)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    spdlog::error("cannot create an epoll set for client sockets: {}", std::strerror(errno));
    return;
  }
  if (const int error = reactor_.register_descriptor(epoll_fd_, reactor_data_); error != 0) {
    spdlog::error("cannot watch the epoll set for client sockets: {}", std::strerror(error));
    ::close(epoll_fd_);
    epoll_fd_ = -1;
    return;
  }
  ready_wait_ =
      new ReadyWait(epoll_fd_, events_.data(), static_cast<int>(kBatch), &Poller::on_ready, this);
}

// A wait still queued in Asio (or posted as cancelled by the deregistration) is completed or
// destroyed by Asio later: it is orphaned and deletes itself then.
Poller::~Poller() {
  if (epoll_fd_ < 0) return;
  reactor_.deregister_descriptor(epoll_fd_, reactor_data_, false);
  if (ready_wait_->queued()) {
    ready_wait_->orphan();
  } else {
    delete ready_wait_;
  }
  reactor_.cleanup_descriptor_data(reactor_data_);
  ::close(epoll_fd_);
}

void Poller::start() {
  stopped_ = false;
  wait();
}

void Poller::stop() {
  stopped_ = true;
  if (epoll_fd_ >= 0) reactor_.cancel_ops(epoll_fd_, reactor_data_);
}

bool Poller::add(int fd, PollTarget* target) {
  epoll_event event{};
  event.events = kInput;
  event.data.ptr = target;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0;
}

bool Poller::remove(int fd) {
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr) == 0;
}

bool Poller::watch_output(int fd, PollTarget* target, bool on) {
  epoll_event event{};
  event.events = on ? kInput | EPOLLOUT : kInput;
  event.data.ptr = target;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0;
}

// Started right after a batch: the attempt takes what is ready at once (its completion runs after
// the handlers the batch posted, not in one long turn), or the wait is queued without a system
// call when the last attempt found the set drained.
void Poller::wait() {
  if (stopped_ || epoll_fd_ < 0 || ready_wait_->queued()) return;
  ready_wait_->ec_ = boost::system::error_code();
  ready_wait_->set_queued();
  reactor_.start_op(asio::detail::epoll_reactor::read_op, epoll_fd_, reactor_data_, ready_wait_,
                    /*is_continuation=*/true, /*allow_speculative=*/true);
}

void Poller::on_ready(void* self, const boost::system::error_code& ec, int n) {
  auto* poller = static_cast<Poller*>(self);
  if (ec || poller->stopped_) return;
  poller->hand_out(n);
}

// Indexed, not iterated: a target's on_batch_end may not add to the list (in_batch_ is false),
// but the loop stays safe if one day it does.
void Poller::end_batch() {
  for (std::size_t i = 0; i < after_batch_.size(); ++i) after_batch_[i]->on_batch_end();
  after_batch_.clear();
}

void Poller::hand_out(int n) {
  in_batch_ = true;
  for (int i = 0; i < n; ++i) {
    static_cast<PollTarget*>(events_[i].data.ptr)->on_poll_events(events_[i].events);
  }
  in_batch_ = false;
  if (!after_batch_.empty()) end_batch();
  wait();
}

}  // namespace funnel::net
