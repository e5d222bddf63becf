#include "client/client_poller.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "client/client_session.hpp"

namespace funnel::client {

ClientPoller::ClientPoller(asio::io_context& io) : epoll_(io.get_executor()) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    spdlog::error("cannot create an epoll set for client sockets: {}", std::strerror(errno));
    return;
  }
  boost::system::error_code ec;
  epoll_.assign(fd, ec);
  if (ec) ::close(fd);
}

ClientPoller::~ClientPoller() = default;

void ClientPoller::start() {
  stopped_ = false;
  wait();
}

void ClientPoller::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  epoll_.cancel(ignored);
}

bool ClientPoller::add(int fd, ClientSession* session) {
  epoll_event event{};
  event.events = kInput;
  event.data.ptr = session;
  return ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &event) == 0;
}

bool ClientPoller::watch_output(int fd, ClientSession* session, bool on) {
  epoll_event event{};
  event.events = on ? kInput | EPOLLOUT : kInput;
  event.data.ptr = session;
  return ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_MOD, fd, &event) == 0;
}

void ClientPoller::wait() {
  if (stopped_ || !epoll_.is_open()) return;
  epoll_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this](boost::system::error_code ec) {
                      if (ec || stopped_) return;
                      hand_out();
                    });
}

void ClientPoller::hand_out() {
  const int n = ::epoll_wait(epoll_.native_handle(), events_.data(), kBatch, 0);
  for (int i = 0; i < n; ++i) {
    static_cast<ClientSession*>(events_[i].data.ptr)->on_poll_events(events_[i].events);
  }
  if (n == static_cast<int>(kBatch)) {
    // More may be ready: take them after what the sessions just posted, not in one long turn.
    asio::post(epoll_.get_executor(), [this] {
      if (!stopped_) hand_out();
    });
    return;
  }
  wait();
}

}  // namespace funnel::client
