// Readiness of a worker's client sockets, edge-triggered and registered once per client.
//
// Asio re-registers a socket (epoll_ctl) on every async_wait, which was one system call per batch
// a client sent, and keeps a reactor record plus a pending operation for every idle client. Here
// a client's descriptor is added to the worker's own epoll set once, when its session starts,
// for input only (output interest is added only while a write waits, because with it every ACK
// from the client would wake the worker). Asio watches that one epoll descriptor; when it is
// readable the poller takes the ready events and hands each to its session, which keeps the
// edges it has not consumed yet (ClientSession's input_ready_ / output_ready_).
//
// A closed client's descriptor leaves the set when it is closed (never duplicated: accept4 with
// SOCK_CLOEXEC, and Funnel never forks), so no event names a deleted session. A session closed
// while events for it are still in the batch being handed out stays alive until a posted handler
// deletes it (ClientSession::close), so those events find it closed, not freed.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstdint>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "backend/asio_types.hpp"

namespace funnel::client {

class ClientSession;

class ClientPoller {
 public:
  explicit ClientPoller(asio::io_context& io);
  ~ClientPoller();
  ClientPoller(const ClientPoller&) = delete;
  ClientPoller& operator=(const ClientPoller&) = delete;

  // False if the epoll set could not be created (the worker refuses to start).
  bool ok() const { return epoll_.is_open(); }
  // Starts handing out events; stop() ends it (the worker's shutdown).
  void start();
  void stop();

  // Watches `fd` for input (and hang-ups) on behalf of `session`. False on failure (errno set).
  bool add(int fd, ClientSession* session);
  // Adds or drops interest in output for a registered descriptor.
  bool watch_output(int fd, ClientSession* session, bool on);

 private:
  static constexpr std::uint32_t kInput = EPOLLIN | EPOLLRDHUP | EPOLLET;
  static constexpr std::size_t kBatch = 256;
  void wait();
  void hand_out();

  asio::posix::basic_stream_descriptor<Executor> epoll_;
  std::array<epoll_event, kBatch> events_{};
  bool stopped_ = false;
};

}  // namespace funnel::client
