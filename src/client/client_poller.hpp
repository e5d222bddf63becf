// Readiness for every client socket of one worker through one inner epoll set, which the worker's
// event loop watches as a single descriptor.
//
// Why: Asio's socket::async_wait re-arms the descriptor with epoll_ctl(EPOLL_CTL_MOD) on every
// wait, so a readiness-driven session paid one extra system call per request at -P 1 (strace:
// 20,565 epoll_ctl for 20,000 GETs), a third of its system calls. Here interest is registered once
// per connection (level-triggered) and changed only when a session stops or starts waiting for
// something it had not (backpressure, a blocked write): in steady state a request costs its read
// and its write, and the event loop re-arms one descriptor per round for all clients.
//
// Level-triggered keeps Asio's semantics: a session that leaves bytes unread is told again.
// An event nobody waits for (a paused reader) drops that interest lazily; an error or hang-up
// nobody waits for removes the socket from the set and is remembered for the next wait.
#pragma once

#include <cstdint>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "backend/asio_types.hpp"

namespace funnel::client {

class ClientSession;

// Interest bits, as epoll's.
enum PollInterest : std::uint32_t { kPollRead = 1u << 0, kPollWrite = 1u << 1 };

// What a session keeps of its registration (8 bytes).
struct PollHandle {
  int fd = -1;
  std::uint8_t mask = 0;    // interest registered with the set (kPollRead | kPollWrite)
  bool registered = false;  // in the set (false after an unwatched error removed it)
  bool failed = false;      // an error or hang-up arrived while nobody waited
};

class ClientPoller {
 public:
  // Throws std::system_error if the epoll set cannot be created (startup only).
  explicit ClientPoller(asio::io_context& io);
  ~ClientPoller();
  ClientPoller(const ClientPoller&) = delete;
  ClientPoller& operator=(const ClientPoller&) = delete;

  // Registers a session's socket with read interest. False if the kernel refused (the session
  // then closes: it could never be told its socket is readable).
  bool add(PollHandle& handle, int fd, ClientSession* session);
  // Makes sure `interest` is registered. Returns false if the socket is not in the set any more
  // (an error arrived earlier): the caller should act as if the socket were ready, and find the
  // error by reading or writing.
  bool want(PollHandle& handle, ClientSession* session, std::uint32_t interest);
  // After a session handled (or ignored) an event: drop interest in what it no longer waits for
  // and that just fired (level-triggered, it would fire again every round). An error or hang-up
  // that no one waited for cannot be masked (epoll always reports them): the socket leaves the
  // set and the failure is remembered for the next want().
  void settle(PollHandle& handle, ClientSession* session, std::uint32_t fired, bool failed,
              std::uint32_t waiting);
  // The socket is about to be closed: closing removes it from the set, nothing to do but forget.
  static void forget(PollHandle& handle) { handle = PollHandle{}; }

  // Stops watching (worker shutdown).
  void shutdown();

 private:
  void arm();
  void run_round();
  bool modify(PollHandle& handle, ClientSession* session, std::uint32_t mask);

  asio::io_context& io_;
  int epoll_fd_ = -1;
  asio::posix::basic_stream_descriptor<Executor> watcher_;
  bool stopped_ = false;
};

}  // namespace funnel::client
