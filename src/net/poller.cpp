// Poller: the worker's epoll set for client sockets, watched by Asio as one descriptor.
#include "net/poller.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace funnel::net {

Poller::Poller(asio::io_context& io) : epoll_(io.get_executor()) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    spdlog::error("cannot create an epoll set for client sockets: {}", std::strerror(errno));
    return;
  }
  boost::system::error_code ec;
  epoll_.assign(fd, ec);
  if (ec) ::close(fd);
}

Poller::~Poller() = default;

void Poller::start() {
  stopped_ = false;
  wait();
}

void Poller::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  epoll_.cancel(ignored);
}

bool Poller::add(int fd, PollTarget* target) {
  epoll_event event{};
  event.events = kInput;
  event.data.ptr = target;
  return ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &event) == 0;
}

bool Poller::remove(int fd) {
  return ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_DEL, fd, nullptr) == 0;
}

bool Poller::watch_output(int fd, PollTarget* target, bool on) {
  epoll_event event{};
  event.events = on ? kInput | EPOLLOUT : kInput;
  event.data.ptr = target;
  return ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_MOD, fd, &event) == 0;
}

void Poller::wait() {
  if (stopped_ || !epoll_.is_open()) return;
  epoll_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this](boost::system::error_code ec) {
                      if (ec || stopped_) return;
                      hand_out();
                    });
}

// Indexed, not iterated: a target's on_batch_end may not add to the list (in_batch_ is false),
// but the loop stays safe if one day it does.
void Poller::end_batch() {
  for (std::size_t i = 0; i < after_batch_.size(); ++i) after_batch_[i]->on_batch_end();
  after_batch_.clear();
}

void Poller::hand_out() {
  const int n = ::epoll_wait(epoll_.native_handle(), events_.data(), kBatch, 0);
  in_batch_ = true;
  for (int i = 0; i < n; ++i) {
    static_cast<PollTarget*>(events_[i].data.ptr)->on_poll_events(events_[i].events);
  }
  in_batch_ = false;
  if (!after_batch_.empty()) end_batch();
  if (n == static_cast<int>(kBatch)) {
    // More may be ready: take them after what the targets just posted, not in one long turn.
    asio::post(epoll_.get_executor(), [this] {
      if (!stopped_) hand_out();
    });
    return;
  }
  wait();
}

}  // namespace funnel::net
