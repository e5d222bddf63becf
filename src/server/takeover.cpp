// The takeover exchange (see takeover.hpp): descriptors over SCM_RIGHTS, checked on both ends.
#include "server/takeover.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "server/client_socket_options.hpp"

namespace funnel::server {
namespace {
// SCM_RIGHTS carries at most SCM_MAX_FD (253) descriptors per message.
constexpr std::size_t kFdsPerMessage = 200;
constexpr std::size_t kMaxFds = 1024;
constexpr std::size_t kMaxText = 256;
constexpr int kHelloTimeoutMs = 5000;
// The new process answers once it serves: its backend bootstrap may take a connect timeout or two.
constexpr int kServingTimeoutMs = 60000;
constexpr int kDoneTimeoutMs = 10000;

std::string errno_text(int error) {
  return std::strerror(error);
}

bool fill_address(const std::string& path, sockaddr_un& address, socklen_t& length) {
  if (path.empty() || path.size() >= sizeof(address.sun_path)) return false;
  std::memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return true;
}

// A peer running as another user must not get (or give) listening sockets.
bool same_user(int fd) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return false;
  return credentials.uid == ::geteuid();
}

bool send_message(int fd, std::string_view text, const int* fds = nullptr, std::size_t count = 0) {
  iovec part{const_cast<char*>(text.data()), text.size()};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  std::vector<char> control(count > 0 ? CMSG_SPACE(sizeof(int) * count) : 0);
  if (count > 0) {
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * count);
    std::memcpy(CMSG_DATA(header), fds, sizeof(int) * count);
  }
  return ::sendmsg(fd, &message, MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// The next message within `timeout_ms`, appending any descriptors it carries (close-on-exec) to
// `fds`. nullopt on timeout, end of stream or error (errno is 0 for the end of stream).
std::optional<std::string> receive_message(int fd, int timeout_ms,
                                           std::vector<int>* fds = nullptr) {
  pollfd wait{fd, POLLIN, 0};
  if (::poll(&wait, 1, timeout_ms) != 1) {
    errno = ETIMEDOUT;
    return std::nullopt;
  }
  char text[kMaxText];
  iovec part{text, sizeof text};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kFdsPerMessage));
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  const ssize_t got = ::recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
  if (got <= 0) {
    if (got == 0) errno = 0;
    return std::nullopt;
  }
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int received = -1;
      std::memcpy(&received, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      if (fds != nullptr) {
        fds->push_back(received);
      } else {
        ::close(received);  // descriptors nobody asked for are not kept
      }
    }
  }
  return std::string(text, static_cast<std::size_t>(got));
}

void close_all(const std::vector<int>& fds) {
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

std::optional<asio::ip::tcp::endpoint> local_endpoint(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return std::nullopt;
  if (storage.ss_family != AF_INET && storage.ss_family != AF_INET6) return std::nullopt;
  asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), &storage, length);
  endpoint.resize(length);
  return endpoint;
}

bool listening_stream(int fd) {
  int listening = 0;
  socklen_t length = sizeof listening;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0;
}

// Why the sockets of one kind do not match the configured address; "" when they do.
std::string kind_mismatch(const std::vector<int>& fds, const std::optional<config::HostPort>& want,
                          std::string_view key) {
  if (fds.empty()) return "";
  const auto have = local_endpoint(fds.front());
  const std::string shown = have ? have->address().to_string() + ":" + std::to_string(have->port())
                                 : std::string("an unknown address");
  if (!want) {
    return "the running Funnel listens on " + shown + " (" + std::string(key) +
           ") and this configuration has no " + std::string(key);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(want->host, ec);
  const asio::ip::tcp::endpoint wanted(address, want->port);
  for (int fd : fds) {
    const auto endpoint = local_endpoint(fd);
    if (ec || !endpoint || *endpoint != wanted || !listening_stream(fd)) {
      return "the running Funnel listens on " + shown + " and this configuration on " +
             want->to_string() + " (" + std::string(key) +
             "): a takeover keeps the addresses; to change one, start the new Funnel beside the "
             "old one and move the clients";
    }
  }
  return "";
}
}  // namespace

ListenerSet::ListenerSet(ListenerSet&& other) noexcept
    : client(std::move(other.client)),
      tls(std::move(other.tls)),
      admin(std::exchange(other.admin, -1)),
      owned(other.owned) {
  other.client.clear();
  other.tls.clear();
}

ListenerSet::~ListenerSet() {
  if (!owned) return;
  for (int fd : client) {
    if (fd >= 0) ::close(fd);
  }
  for (int fd : tls) {
    if (fd >= 0) ::close(fd);
  }
  if (admin >= 0) ::close(admin);
}

int ListenerSet::release(int& fd) {
  return std::exchange(fd, -1);
}

std::string takeover_socket_path(const config::Config& config) {
  std::string path = config.server.takeover_socket;
  const std::string marker = "{port}";
  if (const auto at = path.find(marker); at != std::string::npos) {
    path.replace(at, marker.size(), std::to_string(config.server.listen.port));
  }
  return path;
}

std::string listener_mismatch(const ListenerSet& sockets, const config::Config& config) {
  if (sockets.client.empty()) return "the running Funnel sent no client listener";
  if (sockets.client.size() > config.server.workers) {
    return "the running Funnel has " + std::to_string(sockets.client.size()) +
           " client listeners (one per worker) and this one " +
           std::to_string(config.server.workers) +
           " workers: each listener needs a worker, or the connections the kernel queues on it "
           "would never be accepted; give --workers " +
           std::to_string(sockets.client.size()) + " or more";
  }
  if (auto why = kind_mismatch(sockets.client, config.server.listen, "server.listen");
      !why.empty()) {
    return why;
  }
  if (sockets.tls.size() > config.server.workers) return "more TLS listeners than workers";
  if (auto why = kind_mismatch(sockets.tls, config.tls.listen, "tls.listen"); !why.empty()) {
    return why;
  }
  if (sockets.admin >= 0) {
    return kind_mismatch(std::vector<int>{sockets.admin}, config.admin.listen, "admin.listen");
  }
  return "";
}

void adopt_listener(asio::basic_socket_acceptor<asio::ip::tcp, Executor>& acceptor, int fd,
                    std::uint32_t keepalive_idle_s) {
  const auto endpoint = local_endpoint(fd);
  acceptor.assign(
      endpoint && endpoint->address().is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd);
  acceptor.non_blocking(true);
  // This configuration's keepalive (it may differ from the old one's); TCP_NODELAY stays.
  (void)set_inherited_client_options(fd, keepalive_idle_s);
}

// ---- the new process's side ----

TakeoverClient::TakeoverClient(const std::string& path) : path_(path) {
  sockaddr_un address{};
  socklen_t length = 0;
  if (!fill_address(path, address, length)) {
    throw std::runtime_error("--takeover: server.takeover_socket = \"" + path +
                             "\" is not a usable Unix socket path (set one, shorter than 108 "
                             "bytes, the same as the running Funnel's)");
  }
  fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    throw std::runtime_error(
        "--takeover: no running Funnel to take over at server.takeover_socket"
        " = " +
        path + " (" + errno_text(errno) +
        "); start without --takeover, or give the running Funnel's path "
        "with --takeover-socket");
  }
  if (!same_user(fd_)) {
    throw std::runtime_error("--takeover: the process listening on " + path +
                             " runs as another user; a takeover is between processes of one user");
  }
  receive_sockets();
}

TakeoverClient::~TakeoverClient() {
  if (fd_ >= 0) ::close(fd_);
}

void TakeoverClient::receive_sockets() {
  const auto fail = [&](const std::string& what) {
    return std::runtime_error("--takeover: the running Funnel at " + path_ + " " + what);
  };
  if (!send_message(fd_, "TAKEOVER 1 " + std::to_string(::getpid()))) {
    throw fail("did not take the request (" + errno_text(errno) + ")");
  }
  const auto header = receive_message(fd_, kHelloTimeoutMs);
  unsigned long clients = 0, tls = 0, admin = 0;
  long pid = 0;
  if (!header || std::sscanf(header->c_str(), "LISTENERS 1 %ld %lu %lu %lu", &pid, &clients, &tls,
                             &admin) != 4) {
    throw fail(header ? "answered \"" + *header + "\" (another version of the exchange?)"
                      : "did not answer (" + errno_text(errno) + ")");
  }
  old_pid_ = static_cast<pid_t>(pid);
  const std::size_t total = clients + tls + (admin != 0 ? 1 : 0);
  if (total > kMaxFds) throw fail("announced " + std::to_string(total) + " sockets");
  std::vector<int> fds;
  while (fds.size() < total) {
    const std::size_t before = fds.size();
    if (!receive_message(fd_, kHelloTimeoutMs, &fds) || fds.size() == before) {
      close_all(fds);
      throw fail("sent " + std::to_string(fds.size()) + " of " + std::to_string(total) +
                 " sockets");
    }
  }
  sockets_.client.assign(fds.begin(), fds.begin() + static_cast<long>(clients));
  sockets_.tls.assign(fds.begin() + static_cast<long>(clients),
                      fds.begin() + static_cast<long>(clients + tls));
  if (admin != 0) sockets_.admin = fds[clients + tls];
  for (std::size_t i = total; i < fds.size(); ++i) ::close(fds[i]);
}

void TakeoverClient::refuse(const std::string& why) {
  (void)send_message(fd_, "REFUSE " + why.substr(0, kMaxText - 8));
}

bool TakeoverClient::confirm_serving() {
  if (!send_message(fd_, "SERVING " + std::to_string(::getpid()))) return false;
  const auto done = receive_message(fd_, kDoneTimeoutMs);
  return done && *done == "DONE";
}

// ---- the running process's side ----

struct TakeoverListener::Impl {
  Impl(asio::io_context& io) : watch(io) {}
  asio::posix::stream_descriptor watch;
  std::function<ListenerSet()> sockets;
  std::function<void()> hand_over;
  std::function<void()> handed_over;
  bool bound = false;
  bool done = false;

  void wait(const std::string& path);
  bool serve(int fd, const std::string& path);
  bool send_sockets(int fd);
  void release(const std::string& path);
};

TakeoverListener::TakeoverListener(asio::io_context& io, std::string path,
                                   std::function<ListenerSet()> sockets,
                                   std::function<void()> hand_over,
                                   std::function<void()> handed_over)
    : impl_(std::make_unique<Impl>(io)), path_(std::move(path)) {
  impl_->sockets = std::move(sockets);
  impl_->hand_over = std::move(hand_over);
  impl_->handed_over = std::move(handed_over);
}

TakeoverListener::~TakeoverListener() {
  impl_->release(path_);
}

void TakeoverListener::Impl::release(const std::string& path) {
  if (!bound) return;
  boost::system::error_code ignored;
  watch.close(ignored);
  ::unlink(path.c_str());
  bound = false;
}

void TakeoverListener::start(bool strict) {
  sockaddr_un address{};
  socklen_t length = 0;
  const auto unavailable = [&](const std::string& why) {
    // No such directory (the default's /run/funnel outside the packaged unit): worth a line, not
    // a warning; anything else (permissions, a live socket) is one.
    const auto level = why == errno_text(ENOENT) ? spdlog::level::info : spdlog::level::warn;
    spdlog::log(
        level,
        "takeover socket {} unavailable ({}): a new Funnel cannot take this one over with "
        "--takeover; set server.takeover_socket to a path in a directory this user may write",
        path_, why);
  };
  if (path_.empty()) return;
  if (!fill_address(path_, address, length)) return unavailable("not a usable socket path");
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return unavailable(errno_text(errno));
  const int probe = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  const bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&address), length) == 0;
  ::close(probe);
  if (live) {
    ::close(fd);
    if (!strict) return unavailable("another process listens on it");
    throw std::runtime_error("server.takeover_socket = " + path_ +
                             " belongs to a running Funnel: take it over with --takeover, or "
                             "give this one another path (or port)");
  }
  ::unlink(path_.c_str());  // a stale path left by a process that did not exit cleanly
  const mode_t previous = ::umask(0177);  // 0600: only this user may connect
  const bool bound_ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0;
  ::umask(previous);
  if (!bound_ok || ::listen(fd, 4) != 0) {
    const int error = errno;
    ::close(fd);
    return unavailable(errno_text(error));
  }
  impl_->watch.assign(fd);
  impl_->bound = true;
  impl_->wait(path_);
}

void TakeoverListener::Impl::wait(const std::string& path) {
  watch.async_wait(
      asio::posix::stream_descriptor::wait_read, [this, path](boost::system::error_code ec) {
        if (ec || !bound) return;
        const int fd = ::accept4(watch.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          const bool handed = serve(fd, path);
          ::close(fd);
          if (handed) return handed_over();
        }
        wait(path);
      });
}

bool TakeoverListener::Impl::send_sockets(int fd) {
  const ListenerSet set = sockets();
  std::vector<int> fds = set.client;
  fds.insert(fds.end(), set.tls.begin(), set.tls.end());
  if (set.admin >= 0) fds.push_back(set.admin);
  const std::string header = "LISTENERS 1 " + std::to_string(::getpid()) + " " +
                             std::to_string(set.client.size()) + " " +
                             std::to_string(set.tls.size()) + " " + (set.admin >= 0 ? "1" : "0");
  if (!send_message(fd, header)) return false;
  for (std::size_t at = 0; at < fds.size(); at += kFdsPerMessage) {
    const std::size_t count = std::min(kFdsPerMessage, fds.size() - at);
    if (!send_message(fd, "FDS", fds.data() + at, count)) return false;
  }
  return true;
}

// One takeover attempt, on the main thread (the workers serve on meanwhile; only signals wait).
// True once the sockets are handed over and the new process told.
bool TakeoverListener::Impl::serve(int fd, const std::string& path) {
  if (!same_user(fd)) {
    spdlog::warn("takeover: refused a connection from another user on {}", path);
    return false;
  }
  const auto hello = receive_message(fd, kHelloTimeoutMs);
  if (!hello && errno == 0) return false;  // closed at once: a Funnel checking the path is live
  if (!hello || hello->rfind("TAKEOVER 1 ", 0) != 0) {
    spdlog::warn("takeover: a connection on {} did not ask for a takeover; ignored", path);
    return false;
  }
  const std::string pid = hello->substr(11);
  spdlog::info("takeover: process {} asks for the listening sockets; handing them over", pid);
  if (!send_sockets(fd)) {
    spdlog::warn("takeover: could not send the sockets to process {}: {}", pid, errno_text(errno));
    return false;
  }
  const auto answer = receive_message(fd, kServingTimeoutMs);
  if (!answer || answer->rfind("SERVING", 0) != 0) {
    spdlog::error("takeover by process {} did not complete ({}); still serving", pid,
                  answer ? *answer : "no answer: " + errno_text(errno));
    return false;
  }
  hand_over();    // every worker has stopped accepting
  release(path);  // the new process binds the path next
  (void)send_message(fd, "DONE");
  spdlog::info("takeover: process {} serves on the listening sockets; this one accepts no more",
               pid);
  return true;
}

}  // namespace funnel::server
