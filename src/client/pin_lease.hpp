// A client's lease of a pinned backend link (backend/pinned_pool.hpp), or its wait for one.
// Allocated only while the client needs a link of its own (WATCH … EXEC, one blocking command),
// so ordinary sessions stay small. Lives on the session's worker thread. The protocol state of
// the pin (in MULTI, its work done) is the session's plan::SessionState.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "backend/pinned_pool.hpp"
#include "client/blocking_order.hpp"
#include "plan/session_state.hpp"
#include "security/user_limits.hpp"

namespace funnel::client {

class ClientSession;

using plan::PinReason;

// For client-side caching (CLIENT TRACKING, RESP3) the lease also receives the link's pushes
// (invalidation messages) and hands them to its client; for MONITOR, every line the link reads
// once MONITOR's +OK is in (client/session_monitor.cpp).
class PinLease final : public backend::LeaseWaiter, public backend::PushSink {
 public:
  // `pool`: the node's pool the lease comes from (cluster mode: the shard of the request's key).
  PinLease(ClientSession& session, backend::PinnedPool& pool, PinReason reason,
           std::uint32_t serial)
      : session_(session),
        pool_(pool),
        reason_(reason),
        serial_(serial),
        since_(common::coarse_now_ms()) {}
  // The link may outlive the lease (returned to the pool): it must not keep pointing here.
  // A blocking command's ticket still open (refused, client gone) is given up.
  ~PinLease() override;
  PinLease(const PinLease&) = delete;
  PinLease& operator=(const PinLease&) = delete;

  void on_lease(backend::LinkPtr link) override;
  void on_lease_refused(std::string_view error) override;
  void on_push(backend::BackendLink& link, std::string_view reply, resp::ReplyKind kind) override;
  // A tracking or MONITOR lease's link lost its backend session: the client is closed
  // (ClientSession::backend_state_lost).
  void on_session_lost(backend::BackendLink& link) override;

  bool active() const { return link_ != nullptr; }
  bool waiting() const { return waiting_; }
  bool refused() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  backend::BackendLink& link() const { return *link_; }
  backend::PinnedPool& pool() const { return pool_; }
  const backend::LinkPtr& link_ptr() const { return link_; }
  PinReason reason() const { return reason_; }
  std::uint32_t serial() const { return serial_; }
  common::Millis since() const { return since_; }

  // Attaches (or, with null, detaches) the leased link; a tracking or monitor lease takes its
  // pushes.
  void set_link(backend::LinkPtr link) {
    if (link_ != nullptr) link_->set_push_sink(nullptr);
    link_ = std::move(link);
    if (link_ != nullptr && (reason_ == PinReason::kTracking || reason_ == PinReason::kMonitor)) {
      link_->set_push_sink(this);
    }
  }
  void set_waiting() { waiting_ = true; }
  // The user this lease counts against (its max_pinned; released with the lease).
  void count_for(std::shared_ptr<security::UserCounters> counters) {
    counted_ = std::move(counters);
  }
  // Refused before asking the pool (the user's max_pinned): the request gets `error`.
  void refuse(std::string error) { error_ = std::move(error); }
  // A MONITOR link is closed at the end, never cleaned for reuse: a monitor line could pass for
  // one of the cleaning's replies.
  bool reusable() const { return reason_ != PinReason::kMonitor; }
  // Monitor lines that arrived while a large reply was going out in parts (sent after it).
  void hold_line(std::string_view line) { held_lines_.append(line); }
  std::string take_held_lines() { return std::exchange(held_lines_, {}); }
  std::size_t held_bytes() const { return held_lines_.size(); }
  // The client fell behind its monitor lines past the hard output limit: it is being closed.
  void set_overflowed() { overflowed_ = true; }
  bool overflowed() const { return overflowed_; }
  // The blocking command's place in client::BlockingOrder (none: no ticket open), and since when
  // it has waited for its turn (0: not yet).
  Ticket turn_ticket;
  common::Millis turn_since = 0;

 private:
  ClientSession& session_;
  backend::PinnedPool& pool_;
  backend::LinkPtr link_;
  std::string error_;
  PinReason reason_;
  std::uint32_t serial_;
  common::Millis since_;
  bool waiting_ = false;
  bool overflowed_ = false;
  std::string held_lines_;
  std::shared_ptr<security::UserCounters> counted_;  // null: not counted (refused, no user)
};

}  // namespace funnel::client
