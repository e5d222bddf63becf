// Hot restart and binary upgrade (funnel --takeover, docs/deployment.md): a running Funnel hands
// its listening sockets to a new process over a Unix socket (SCM_RIGHTS), so the kernel's accept
// queues live on and no connect is refused or reset in between. Not SO_REUSEPORT overlap: closing
// the old listener would reset the connections queued on it.
//
// The exchange, one SOCK_SEQPACKET message each way (the descriptors in as many messages as
// SCM_RIGHTS allows):
//   new -> old  "TAKEOVER 1 <pid>"
//   old -> new  "LISTENERS 1 <pid> <client> <tls> <admin>"  then the descriptors, in that order
//   new -> old  "SERVING <pid>" once it accepts on them, or "REFUSE <why>" (old serves on)
//   old -> new  "DONE" once it has stopped accepting and released the takeover socket's path
// Both ends check that the peer runs as the same user (SO_PEERCRED), and the path is 0600.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/asio_types.hpp"

namespace funnel::server {

// Listening sockets by kind; owns its descriptors (closed on destruction unless released).
struct ListenerSet {
  std::vector<int> client;  // server.listen: one per worker (an SO_REUSEPORT group)
  std::vector<int> tls;     // tls.listen: one per worker; empty without it
  int admin = -1;           // admin.listen; -1 without it
  bool owned = true;        // false: the descriptors belong to the acceptors (old side)

  ListenerSet() = default;
  ListenerSet(ListenerSet&&) noexcept;
  ListenerSet& operator=(ListenerSet&&) = delete;
  ~ListenerSet();
  // Takes descriptor `fd` out (the caller owns it from now on); -1 stays -1.
  static int release(int& fd);
};

// server.takeover_socket with "{port}" replaced by server.listen's port; "" when turned off.
std::string takeover_socket_path(const config::Config& config);

// Why the received sockets do not match `config` (another address, too many for the worker count,
// a kind the configuration lacks); "" when they do.
std::string listener_mismatch(const ListenerSet& sockets, const config::Config& config);

// Makes `fd` (a listening TCP socket received from the old process) the acceptor's, with the
// client options of this configuration.
void adopt_listener(asio::basic_socket_acceptor<asio::ip::tcp, Executor>& acceptor, int fd,
                    std::uint32_t keepalive_idle_s);

// The new process's side. Throws std::runtime_error with what to do on every failure.
class TakeoverClient {
 public:
  // Connects to `path` and receives the running Funnel's listening sockets.
  explicit TakeoverClient(const std::string& path);
  ~TakeoverClient();
  ListenerSet& sockets() { return sockets_; }
  pid_t old_pid() const { return old_pid_; }
  // Tells the old process why (it keeps serving).
  void refuse(const std::string& why);
  // Tells the old process this one serves, and waits (bounded) for it to stop accepting and free
  // the path. False if it did not confirm in time (it may have died: this one serves anyway).
  bool confirm_serving();

 private:
  void receive_sockets();
  std::string path_;
  int fd_ = -1;
  pid_t old_pid_ = 0;
  ListenerSet sockets_;
};

// The running process's side: listens on the path on `io` (the main thread's loop) and serves one
// takeover at a time. `hand_over` runs on that thread once a new process serves on the sockets: it
// must stop every accept (and return once it has); then the path is released, the new process is
// told, and `handed_over` runs.
class TakeoverListener {
 public:
  TakeoverListener(asio::io_context& io, std::string path, std::function<ListenerSet()> sockets,
                   std::function<void()> hand_over, std::function<void()> handed_over);
  ~TakeoverListener();
  // Binds the path (a stale one left by a dead process is replaced). If a running Funnel listens
  // there already: throws when `strict` (a second Funnel started without --takeover), else only
  // logs (a process that has just taken over must not fail over its listener).
  void start(bool strict);
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace funnel::server
