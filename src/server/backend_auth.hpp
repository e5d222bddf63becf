// Users kept in the backend (auth.users_from_backend, docs/security.md#users-kept-in-the-backend):
// checks a client's AUTH against the backend and reads the user's rules (ACL GETUSER), on the
// control thread, on at most kLinks control-side connections of its own (never a shared link:
// AUTH changes a connection's identity, so each connection serves one check and is closed). The
// verdicts and rules go to a security::BackendUserCache; the rules of users clients are logged in
// as are read again once per cache time, so ACL SETUSER / ACL DELUSER reach connected clients.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "backend/backend_snapshot.hpp"
#include "backend/control_link.hpp"
#include "client/session_context.hpp"
#include "net/asio_types.hpp"

namespace funnel::server {

class BackendAuth final : public client::BackendUserCheck {
 public:
  static constexpr std::size_t kLinks = 2;        // control-side connections at once
  static constexpr std::size_t kMaxWaiting = 64;  // checks queued; past it, refused at once

  // `io` is the control thread's loop and must outlive this object; `snapshot` gives the
  // primary to ask (called on that thread).
  BackendAuth(asio::io_context& io, const backend::LinkSettings& settings, std::uint32_t cache_ms,
              std::function<backend::SnapshotPtr()> snapshot);
  ~BackendAuth() override;

  // client::BackendUserCheck. Thread-safe.
  void check(std::string user, std::string password,
             std::shared_ptr<const security::UserDirectory> users, Done done) override;
  security::BackendUserCache& cache() override { return cache_; }
  // Starts the refresh of connected users' rules (before the control loop runs).
  void start();

 private:
  struct Job {
    std::string user;
    std::string password;  // empty for a refresh
    security::Sha256 key{};
    std::shared_ptr<const security::UserDirectory> users;  // null: a refresh
    Done done;                                             // null: a refresh
    common::Millis deadline = 0;
  };
  void enqueue(Job job);
  asio::awaitable<void> serve(std::size_t slot);
  asio::awaitable<security::BackendAuthResult> run(backend::ControlLink& link, Job& job);
  void schedule_refresh();

  asio::io_context& io_;
  const backend::LinkSettings& settings_;
  std::function<backend::SnapshotPtr()> snapshot_;
  security::BackendUserCache cache_;
  // Control thread only.
  std::deque<Job> queue_;
  std::array<std::unique_ptr<backend::ControlLink>, kLinks> links_;
  std::array<bool, kLinks> serving_{};
  std::shared_ptr<const security::UserDirectory> last_users_;  // for refreshes
  SteadyTimer refresh_timer_;
};

}  // namespace funnel::server
