// Readiness of a worker's client sockets (and its listening sockets), edge-triggered and
// registered once per socket.
//
// Asio re-registers a socket (epoll_ctl) on every async_wait, which was one system call per batch
// a client sent, and keeps a reactor record plus a pending operation for every idle client. Here
// a descriptor is added to the worker's own epoll set once, when its owner starts, for input only
// (output interest is added only while a write waits, because with it every ACK from the peer
// would wake the worker). Asio's reactor watches that one epoll descriptor through a ReadyWait
// (ready_wait.hpp: no epoll_ctl per wait); the ready events are handed to their PollTargets
// (ClientSession, listeners), which keep the edges they have not consumed yet.
//
// A closed target's descriptor leaves the set when it is closed (never duplicated: accept4 with
// SOCK_CLOEXEC, and Funnel never forks), so no event names a deleted target. A target closed
// while events for it are still in the batch being handed out must stay alive until that batch is
// over (ClientSession deletes itself from a posted handler), so those events find it closed, not
// freed.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstdint>
#include <vector>

#include <boost/asio/detail/epoll_reactor.hpp>

#include "net/asio_types.hpp"
#include "net/poll_target.hpp"
#include "net/ready_wait.hpp"

namespace funnel::net {

class Poller {
 public:
  explicit Poller(asio::io_context& io);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // False if the epoll set could not be created (the worker refuses to start).
  bool ok() const { return epoll_fd_ >= 0; }
  // Starts handing out events; stop() ends it (the worker's shutdown).
  void start();
  void stop();

  // Watches `fd` for input (and hang-ups) on behalf of `target`. False on failure (errno set).
  bool add(int fd, PollTarget* target);
  // Stops watching `fd` (still open). A listener handed to another process leaves the set this
  // way: closing our descriptor would not remove it while the other process holds the socket.
  bool remove(int fd);
  // Adds or drops interest in output for a registered descriptor.
  bool watch_output(int fd, PollTarget* target, bool on);

  // True while a batch of events is being handed out (on the poller's thread).
  bool in_batch() const { return in_batch_; }
  // During a batch: calls target->on_batch_end() once the batch is over. A session closed by an
  // event (QUIT, EOF) is deleted there instead of from a posted handler, which cost a round
  // through Asio's queue (a lock, and one more epoll_wait) per connection.
  void after_batch(PollTarget* target) { after_batch_.push_back(target); }

 private:
  static constexpr std::uint32_t kInput = EPOLLIN | EPOLLRDHUP | EPOLLET;
  static constexpr std::size_t kBatch = 256;
  void wait();
  static void on_ready(void* self, const boost::system::error_code& ec, int n);
  void hand_out(int n);
  void end_batch();

  asio::detail::epoll_reactor& reactor_;
  asio::detail::epoll_reactor::per_descriptor_data reactor_data_ = nullptr;
  int epoll_fd_ = -1;
  ReadyWait* ready_wait_ = nullptr;  // Asio holds it while queued; see ~Poller
  std::array<epoll_event, kBatch> events_{};
  std::vector<PollTarget*> after_batch_;  // reused: no allocation per batch once grown
  bool in_batch_ = false;
  bool stopped_ = false;
};

}  // namespace funnel::net
