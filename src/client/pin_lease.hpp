// A client's lease of a pinned backend link (backend/pinned_pool.hpp), or its wait for one.
// Allocated only while the client needs a link of its own (WATCH … EXEC, one blocking command),
// so ordinary sessions stay small. Lives on the session's worker thread. The protocol state of
// the pin (in MULTI, its work done) is the session's plan::SessionState.
#pragma once

#include <cstdint>
#include <string>

#include "backend/pinned_pool.hpp"
#include "client/blocking_order.hpp"
#include "plan/session_state.hpp"

namespace funnel::client {

class ClientSession;

using plan::PinReason;

// For client-side caching (CLIENT TRACKING, RESP3) the lease also receives the link's pushes
// (invalidation messages) and hands them to its client.
class PinLease final : public backend::LeaseWaiter, public backend::PushSink {
 public:
  PinLease(ClientSession& session, PinReason reason, std::uint32_t serial)
      : session_(session), reason_(reason), serial_(serial), since_(common::coarse_now_ms()) {}
  // The link may outlive the lease (returned to the pool): it must not keep pointing here.
  // A blocking command's ticket still open (refused, client gone) is given up.
  ~PinLease() override;
  PinLease(const PinLease&) = delete;
  PinLease& operator=(const PinLease&) = delete;

  void on_lease(backend::LinkPtr link) override;
  void on_lease_refused(std::string_view error) override;
  void on_push(backend::BackendLink& link, std::string_view reply, resp::ReplyKind kind) override;

  bool active() const { return link_ != nullptr; }
  bool waiting() const { return waiting_; }
  bool refused() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  backend::BackendLink& link() const { return *link_; }
  const backend::LinkPtr& link_ptr() const { return link_; }
  PinReason reason() const { return reason_; }
  std::uint32_t serial() const { return serial_; }
  common::Millis since() const { return since_; }

  // Attaches (or, with null, detaches) the leased link; a tracking lease takes its pushes.
  void set_link(backend::LinkPtr link) {
    if (link_ != nullptr) link_->set_push_sink(nullptr);
    link_ = std::move(link);
    if (link_ != nullptr && reason_ == PinReason::kTracking) link_->set_push_sink(this);
  }
  void set_waiting() { waiting_ = true; }
  // The blocking command's place in client::BlockingOrder (none: no ticket open), and since when
  // it has waited for its turn (0: not yet).
  Ticket turn_ticket;
  common::Millis turn_since = 0;

 private:
  ClientSession& session_;
  backend::LinkPtr link_;
  std::string error_;
  PinReason reason_;
  std::uint32_t serial_;
  common::Millis since_;
  bool waiting_ = false;
};

}  // namespace funnel::client
