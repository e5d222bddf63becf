// Test fixtures (funnel::test): FakeBackend, see fake_backend.hpp. One thread, one poll() loop
// over the listener, a wake-up eventfd and every connection; per connection an input buffer fed
// to resp::RequestParser and a FIFO of reply steps released in order as their delays pass.
#include "support/fake_backend.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "resp/request_parser.hpp"
#include "support/fake_backend_replies.hpp"
#include "support/net.hpp"

namespace funnel::test {

using Clock = std::chrono::steady_clock;
using Step = FakeBackend::Action::Step;
using StepKind = FakeBackend::Action::StepKind;

struct FakeBackend::Connection {
  int fd = -1;
  int index = 0;
  FakeSession session;
  std::string in;
  resp::RequestParser parser;
  std::string out;
  std::deque<Step> pending;
  Clock::time_point head_due;  // when pending.front() may run
  bool closing = false;        // a close step was reached: flush out, then close
  bool invalid = false;        // a protocol error was answered: parse nothing more

  // Drops everything queued: the connection goes away at once, as in a crash.
  void abort() {
    closing = true;
    pending.clear();
    out.clear();
  }
};

// ---- Action --------------------------------------------------------------------------------

FakeBackend::Action FakeBackend::Action::reply(std::string raw) {
  return reply_after(std::chrono::milliseconds(0), std::move(raw));
}

FakeBackend::Action FakeBackend::Action::reply_after(std::chrono::milliseconds delay,
                                                     std::string raw) {
  Action action;
  action.steps.push_back({StepKind::kSend, std::move(raw), delay});
  return action;
}

FakeBackend::Action FakeBackend::Action::reply_split(std::string raw, std::size_t split_at,
                                                     std::chrono::milliseconds pause) {
  split_at = std::min(split_at, raw.size());
  Action action = reply(raw.substr(0, split_at));
  action.steps.push_back({StepKind::kSend, raw.substr(split_at), pause});
  return action;
}

FakeBackend::Action FakeBackend::Action::hang() {
  Action action;
  action.steps.push_back({StepKind::kHang, "", {}});
  return action;
}

FakeBackend::Action FakeBackend::Action::close() {
  Action action;
  action.steps.push_back({StepKind::kClose, "", {}});
  return action;
}

FakeBackend::Action FakeBackend::Action::default_reply() {
  Action action;
  action.builtin = true;
  return action;
}

FakeBackend::Action FakeBackend::Action::then(Action next) && {
  steps.insert(steps.end(), next.steps.begin(), next.steps.end());
  return std::move(*this);
}

// ---- lifetime ------------------------------------------------------------------------------

FakeBackend::FakeBackend(Handler handler, Options options)
    : options_(std::move(options)), handler_(std::move(handler)) {}

std::unique_ptr<FakeBackend> FakeBackend::start(Handler handler, Options options) {
  std::unique_ptr<FakeBackend> fake(new FakeBackend(std::move(handler), std::move(options)));
  // Bind port 0 and keep the socket: the kernel's choice cannot be lost to a race.
  fake->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fake->listen_fd_ < 0) throw_errno("FakeBackend: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fake->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fake->listen_fd_, 128) != 0 ||
      ::getsockname(fake->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw_errno("FakeBackend: listen on 127.0.0.1");
  }
  fake->port_ = ntohs(addr.sin_port);
  fake->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fake->wake_fd_ < 0) throw_errno("FakeBackend: eventfd");
  fake->thread_ = std::thread([raw = fake.get()] { raw->run(); });
  return fake;
}

FakeBackend::~FakeBackend() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void FakeBackend::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  if (wake_fd_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  // Closed here, not in the destructor: after stop() the port refuses connections.
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void FakeBackend::close_connections() {
  {
    std::lock_guard lock(mutex_);
    drop_connections_ = true;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void FakeBackend::set_handler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

// ---- observers -----------------------------------------------------------------------------

std::vector<FakeBackend::Request> FakeBackend::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t FakeBackend::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

int FakeBackend::connections_accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

int FakeBackend::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::vector<std::string> FakeBackend::client_names() const {
  std::lock_guard lock(mutex_);
  return names_;
}

bool FakeBackend::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool FakeBackend::wait_for_connections(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return accepted_ >= n; });
}

// ---- the loop ------------------------------------------------------------------------------

void FakeBackend::run() {
  std::vector<pollfd> fds;
  while (true) {
    bool drop = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      drop = std::exchange(drop_connections_, false);
    }
    if (drop) {
      for (auto& conn : connections_) conn->abort();
    }
    // Run due steps; drop connections that are finished.
    std::erase_if(connections_, [&](const std::unique_ptr<Connection>& conn) {
      if (advance(*conn)) return false;
      ::close(conn->fd);
      std::lock_guard lock(mutex_);
      --open_;
      changed_.notify_all();
      return true;
    });
    fds.assign({{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}});
    for (auto& conn : connections_) {
      fds.push_back({conn->fd, static_cast<short>(POLLIN | (conn->out.empty() ? 0 : POLLOUT)), 0});
    }
    if (::poll(fds.data(), fds.size(), poll_timeout_ms()) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      std::uint64_t count;
      [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof(count));
    }
    if (fds[1].revents & POLLIN) accept_all();
    for (std::size_t i = 2; i < fds.size(); ++i) {
      // EOF or error from the client: like redis-server, drop what it would still be sent.
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !read_from(*connections_[i - 2])) {
        connections_[i - 2]->abort();
      }
    }
  }
  for (auto& conn : connections_) ::close(conn->fd);
  connections_.clear();
  std::lock_guard lock(mutex_);
  open_ = 0;
  changed_.notify_all();
}

int FakeBackend::poll_timeout_ms() const {
  auto now = Clock::now();
  auto soonest = Clock::time_point::max();
  for (const auto& conn : connections_) {
    if (!conn->closing && !conn->pending.empty() && conn->pending.front().kind != StepKind::kHang) {
      soonest = std::min(soonest, conn->head_due);
    }
  }
  if (soonest == Clock::time_point::max()) return -1;
  if (soonest <= now) return 0;
  // Round up so a wake-up never comes a fraction of a millisecond early.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(soonest - now).count() + 1;
  return static_cast<int>(std::min<long>(ms, std::numeric_limits<int>::max()));
}

void FakeBackend::accept_all() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    {
      std::lock_guard lock(mutex_);
      conn->index = accepted_++;
      ++open_;
      names_.emplace_back();
      changed_.notify_all();
    }
    conn->session.id = conn->index + 1;
    conn->session.authenticated = options_.password.empty();
    conn->session.zone = options_.hello_zone;
    connections_.push_back(std::move(conn));
  }
}

bool FakeBackend::read_from(Connection& conn) {
  char chunk[16 * 1024];
  while (true) {
    ssize_t n = ::recv(conn.fd, chunk, sizeof(chunk), 0);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (conn.closing || conn.invalid) continue;  // read and ignore: nothing more is answered
    conn.in.append(chunk, static_cast<std::size_t>(n));
    // Parse every complete request; the parser resumes an incomplete one from the same start.
    std::size_t start = 0;
    while (start < conn.in.size()) {
      auto status = conn.parser.parse(std::string_view(conn.in).substr(start));
      if (status == resp::ParseStatus::kNeedMore) break;
      if (status == resp::ParseStatus::kInvalid) {
        // Redis answers a protocol error and closes the connection.
        conn.invalid = true;
        conn.pending.push_back({StepKind::kSend,
                                "-ERR Protocol error: " + std::string(conn.parser.error()) + "\r\n",
                                {}});
        conn.pending.push_back({StepKind::kClose, "", {}});
        if (conn.pending.size() == 2) conn.head_due = Clock::now();
        start = conn.in.size();
        break;
      }
      const auto& request = conn.parser.request();
      std::vector<std::string> args(request.args().begin(), request.args().end());
      start += conn.parser.consumed();
      if (!args.empty()) handle_request(conn, std::move(args));
    }
    conn.in.erase(0, start);
  }
}

void FakeBackend::handle_request(Connection& conn, std::vector<std::string> args) {
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back({conn.index, args});
    handler = handler_;
    changed_.notify_all();
  }
  Action action = Action::default_reply();
  std::optional<std::string> reply = auth_required_reply(args, conn.session, options_.password);
  if (!reply && options_.answer_handshake) {
    reply = handshake_reply(args, conn.session, options_.password);
  }
  if (!reply && handler) {
    // An exception cannot cross the thread; it becomes an error reply the test will see.
    try {
      action = handler(args, conn.index);
    } catch (const std::exception& e) {
      action = Action::reply("-ERR fake backend handler threw: " + std::string(e.what()) + "\r\n");
    }
  }
  if (!reply && action.builtin) {
    reply = handshake_reply(args, conn.session, options_.password);
    if (!reply) reply = unknown_command_reply(args);
  }
  if (reply) action = Action::reply(std::move(*reply));
  {
    std::lock_guard lock(mutex_);
    names_[conn.index] = conn.session.name;
  }
  const bool was_idle = conn.pending.empty();
  conn.pending.insert(conn.pending.end(), action.steps.begin(), action.steps.end());
  if (was_idle && !conn.pending.empty()) conn.head_due = Clock::now() + conn.pending.front().delay;
}

bool FakeBackend::advance(Connection& conn) {
  // Release due steps in order; a step's delay counts from when the one before it finished.
  while (!conn.closing && !conn.pending.empty()) {
    Step& step = conn.pending.front();
    if (step.kind == StepKind::kHang || Clock::now() < conn.head_due) break;
    if (step.kind == StepKind::kClose) {
      conn.closing = true;
    } else {
      conn.out += step.bytes;
    }
    conn.pending.pop_front();
    if (!conn.pending.empty()) conn.head_due = Clock::now() + conn.pending.front().delay;
  }
  while (!conn.out.empty()) {
    ssize_t n = ::send(conn.fd, conn.out.data(), conn.out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0) return false;
    conn.out.erase(0, static_cast<std::size_t>(n));
  }
  return !conn.closing;
}

}  // namespace funnel::test
