// ClientPoller: one epoll set for a worker's client sockets (see client_poller.hpp for why).
#include "client/client_poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include <boost/asio/post.hpp>

#include "client/client_session.hpp"

namespace funnel::client {
namespace {

constexpr int kEventsPerRound = 256;

std::uint32_t epoll_events(std::uint32_t mask) {
  std::uint32_t events = 0;
  if (mask & kPollRead) events |= EPOLLIN | EPOLLRDHUP;
  if (mask & kPollWrite) events |= EPOLLOUT;
  return events;
}

std::uint32_t interest_of(std::uint32_t events) {
  std::uint32_t fired = 0;
  if (events & (EPOLLIN | EPOLLRDHUP)) fired |= kPollRead;
  if (events & EPOLLOUT) fired |= kPollWrite;
  return fired;
}

}  // namespace

ClientPoller::ClientPoller(asio::io_context& io)
    : io_(io), epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), watcher_(io.get_executor()) {
  if (epoll_fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_create1 for client sockets");
  }
  watcher_.assign(epoll_fd_);
  arm();
}

ClientPoller::~ClientPoller() {
  shutdown();
}

void ClientPoller::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  watcher_.close(ignored);  // closes epoll_fd_ too
}

bool ClientPoller::add(PollHandle& handle, int fd, ClientSession* session) {
  epoll_event event{};
  event.events = epoll_events(kPollRead);
  event.data.ptr = session;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) return false;
  handle = PollHandle{fd, kPollRead, true, false};
  return true;
}

bool ClientPoller::modify(PollHandle& handle, ClientSession* session, std::uint32_t mask) {
  epoll_event event{};
  event.events = epoll_events(mask);
  event.data.ptr = session;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, handle.fd, &event) != 0) {
    handle.registered = false;
    handle.failed = true;
    return false;
  }
  handle.mask = static_cast<std::uint8_t>(mask);
  return true;
}

bool ClientPoller::want(PollHandle& handle, ClientSession* session, std::uint32_t interest) {
  if (!handle.registered || handle.failed) return false;
  if ((handle.mask & interest) == interest) return true;
  return modify(handle, session, handle.mask | interest);
}

void ClientPoller::settle(PollHandle& handle, ClientSession* session, std::uint32_t fired,
                          bool failed, std::uint32_t waiting) {
  if (!handle.registered) return;
  if (failed && waiting == 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, handle.fd, nullptr);
    handle.registered = false;
    handle.failed = true;
    return;
  }
  const std::uint32_t unwanted = handle.mask & fired & ~waiting;
  if (unwanted != 0) modify(handle, session, handle.mask & ~unwanted);
}

void ClientPoller::arm() {
  if (stopped_) return;
  watcher_.async_wait(asio::posix::descriptor_base::wait_read,
                      [this](boost::system::error_code ec) {
                        if (!ec && !stopped_) run_round();
                      });
}

// One round: every ready session, then wait again. A full batch may leave more ready sockets;
// post the next round so the rest of the loop (backend replies, timers) still gets its turn.
void ClientPoller::run_round() {
  std::array<epoll_event, kEventsPerRound> events;
  const int n = ::epoll_wait(epoll_fd_, events.data(), kEventsPerRound, 0);
  for (int i = 0; i < n; ++i) {
    auto* session = static_cast<ClientSession*>(events[static_cast<std::size_t>(i)].data.ptr);
    const std::uint32_t raw = events[static_cast<std::size_t>(i)].events;
    session->on_poll(interest_of(raw), (raw & (EPOLLERR | EPOLLHUP)) != 0);
  }
  if (n == kEventsPerRound) {
    asio::post(io_, [this] {
      if (!stopped_) run_round();
    });
  } else {
    arm();
  }
}

}  // namespace funnel::client
