// PinnedPool: leasing, waiting, cleaning and closing pinned links (see pinned_pool.hpp).
#include "backend/pinned_pool.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace funnel::backend {
namespace {
using metrics::ProcessCounters;
constexpr std::string_view kResetRequest = "*1\r\n$5\r\nRESET\r\n";
}  // namespace

PinnedPool::PinnedPool(asio::io_context& io, const LinkSettings& settings, PinnedLimits limits,
                       ReplySink& sink, metrics::ProcessCounters& counters)
    : io_(io), settings_(settings), limits_(limits), sink_(sink), counters_(counters) {}

PinnedPool::~PinnedPool() {
  shutdown();
}

// A new epoch is a new primary (a failover, a moved endpoint): every link to the old one is
// retired, idle or leased (a leased one once its requests in flight are answered), so no WATCH,
// MULTI or blocking command reaches a demoted primary. The lessee sees its link gone
// (client/session_pin.cpp) and its next request leases one to the new primary.
void PinnedPool::set_snapshot(SnapshotPtr snapshot) {
  const bool new_epoch = snapshot_ && snapshot && snapshot->epoch != snapshot_->epoch;
  snapshot_ = std::move(snapshot);
  const std::vector<LinkPtr> links = links_;  // retire() may drop links from links_
  for (const auto& link : links) {
    link->set_snapshot(snapshot_);
    if (!new_epoch) continue;
    // Tracking or MONITOR on the old primary would go silent (writes go to the new one).
    if (PushSink* lessee = link->push_sink()) lessee->on_session_lost(*link);
    link->retire();
  }
  if (new_epoch) idle_.clear();
}

std::string PinnedPool::refusal_text() const {
  return "ERR funnel: no pinned backend connection free within " +
         std::to_string(limits_.borrow_timeout_ms) +
         " ms (backend.max_pinned = " + std::to_string(limits_.max_pinned) +
         " are all leased; raise backend.max_pinned or backend.pinned_borrow_timeout_ms); the "
         "command was not run";
}

bool PinnedPool::take_budget() {
  auto& open = *open_count_;
  std::int64_t now = open.load(std::memory_order_relaxed);
  while (now < static_cast<std::int64_t>(limits_.max_pinned)) {
    if (open.compare_exchange_weak(now, now + 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

LinkPtr PinnedPool::open_link(resp::Protocol protocol) {
  const std::uint64_t serial = counters_.pinned_link_serial.fetch_add(1, std::memory_order_relaxed);
  std::string name = std::string("funnel:pinned:") +
                     (protocol == resp::Protocol::kResp3 ? "resp3" : "resp2") +
                     ":db0:" + std::to_string(serial);
  auto link =
      std::make_shared<BackendLink>(io_, settings_, protocol, std::move(name), *this, *this);
  link->set_metrics(metrics_);
  link->set_stall_check(false);  // a blocked command is silent by design; deadlines still apply
  link->set_auto_reauth(false);  // never under a lessee: tick() re-AUTHs idle ones only
  links_.push_back(link);
  link->start(snapshot_);
  return link;
}

LinkPtr PinnedPool::take_idle(resp::Protocol protocol) {
  auto it = std::find_if(idle_.begin(), idle_.end(),
                         [&](const LinkPtr& link) { return link->protocol() == protocol; });
  if (it == idle_.end()) return nullptr;
  LinkPtr link = *it;
  idle_.erase(it);
  return link;
}

void PinnedPool::count_leases(std::int64_t delta) {
  ProcessCounters::add(counters_.pinned_leased, delta);
  if (leased_count_ != nullptr) ProcessCounters::add(*leased_count_, delta);
}

LinkPtr PinnedPool::try_lease(resp::Protocol protocol) {
  LinkPtr link = take_idle(protocol);
  if (!link) {
    if (!take_budget()) {
      // Idle links of the other protocol hold budget this client could use: free one.
      if (!idle_.empty()) close_link(idle_.front(), "idle, budget needed");
      return nullptr;
    }
    link = open_link(protocol);
  }
  count_leases(1);
  return link;
}

void PinnedPool::wait(LeaseWaiter& waiter, resp::Protocol protocol) {
  waiters_.push_back(
      Waiter{&waiter, protocol, common::coarse_now_ms() + limits_.borrow_timeout_ms});
  ProcessCounters::add(*waiting_count_, 1);
}

void PinnedPool::cancel_wait(LeaseWaiter& waiter) {
  const auto removed =
      std::erase_if(waiters_, [&](const Waiter& w) { return w.waiter == &waiter; });
  ProcessCounters::add(*waiting_count_, -static_cast<std::int64_t>(removed));
}

void PinnedPool::serve_waiters(common::Millis now) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    LeaseWaiter* waiter = it->waiter;
    LinkPtr link = try_lease(it->protocol);
    if (!link && it->deadline > now) {
      ++it;
      continue;
    }
    it = waiters_.erase(it);
    ProcessCounters::add(*waiting_count_, -1);
    if (link) {
      waiter->on_lease(std::move(link));
    } else {
      ProcessCounters::bump(counters_.pinned_borrow_timeouts);
      waiter->on_lease_refused(refusal_text());
    }
  }
}

bool PinnedPool::others_waiting() const {
  return ProcessCounters::read(*waiting_count_) > static_cast<std::int64_t>(waiters_.size());
}

bool PinnedPool::over_budget() const {
  return ProcessCounters::read(*open_count_) > static_cast<std::int64_t>(limits_.max_pinned);
}

void PinnedPool::release(const LinkPtr& link, bool reusable) {
  count_leases(-1);
  if (!reusable) return close_link(link, "not reusable (MONITOR)");
  if (link->state() != BackendLink::State::kReady || link->in_flight() != 0) {
    return close_link(link, "released with a request in doubt");
  }
  clean(*link);
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (it->protocol != link->protocol()) continue;
    LeaseWaiter* waiter = it->waiter;
    waiters_.erase(it);
    ProcessCounters::add(*waiting_count_, -1);
    count_leases(1);
    return waiter->on_lease(link);
  }
  if (others_waiting()) return close_link(link, "budget needed by another worker");
  if (over_budget()) return close_link(link, "over backend.max_pinned (lowered by a reload)");
  idle_.push_back(link);
}

// RESET drops everything the lessee left (WATCH, protocol, database, name, tracking); the
// handshake then makes the link what its name says again. Both go ahead of the next lessee's
// requests on the same FIFO, so no wait is needed; a failure closes the link (deliver()).
void PinnedPool::clean(BackendLink& link) {
  ReplyTarget target;
  target.flags = kCleaning | ReplyTarget::kRetried;
  target.seq = reinterpret_cast<std::uintptr_t>(&link);
  const common::Millis deadline = common::coarse_now_ms() + settings_.request_timeout_ms;
  link.submit(kResetRequest, target, deadline);
  // The credentials of now: a SIGHUP rotation applies to a cleaned link like to a new one.
  const auto credentials = credentials_for(settings_, snapshot_->address).get();
  link.submit(encode_handshake(link.protocol(), credentials->user, credentials->password.get(),
                               link.name()),
              target, deadline);
  // RESET logged the link in as the default user: back to Funnel's backend user, which lacks the
  // deny list (security/backend_user.hpp), or scripts on the next lease would bypass it.
  if (!link.provisioned_auth().empty()) link.submit(link.provisioned_auth(), target, deadline);
  link.note_authenticated(common::coarse_now_ms());  // the handshake logged it in again
}

void PinnedPool::select_database(BackendLink& link, std::uint32_t db) {
  ReplyTarget target;
  target.flags = kCleaning | ReplyTarget::kRetried;
  target.seq = reinterpret_cast<std::uintptr_t>(&link);
  const std::string number = std::to_string(db);
  link.submit(encode_command({"SELECT", number}), target,
              common::coarse_now_ms() + settings_.request_timeout_ms);
}

void PinnedPool::close_link(const LinkPtr& link, std::string_view reason) {
  std::erase(idle_, link);
  // Closed by Funnel (given back, MONITOR ended by RESET, cleaning failed): not a lost session to
  // report to a lessee (on_session_lost is for Redis going away under it).
  link->set_push_sink(nullptr);
  spdlog::debug("pinned link {} closed: {}", link->name(), reason);
  link->shutdown("pinned link closed: " + std::string(reason));
}

void PinnedPool::submit(BackendLink& link, std::string_view request, const ReplyTarget& target,
                        common::Millis deadline) {
  if (!link.accepting()) {
    sink_.deliver(target, "-" + link.unavailable_error() + "\r\n",
                  ReplyTiming{0, common::precise_now_ns()});
    return;
  }
  if (link.scripts_refused() && security::runs_script(target.command_id)) [[unlikely]] {
    sink_.deliver(target, "-" + link.scripts_refused_error() + "\r\n",
                  ReplyTiming{0, common::precise_now_ns()});
    return;
  }
  link.submit(request, target, deadline);
}

void PinnedPool::tick(common::Millis now) {
  if (!waiters_.empty()) serve_waiters(now);
  if (!idle_.empty() && (others_waiting() || over_budget())) {
    const std::vector<LinkPtr> idle = idle_;
    for (const auto& link : idle) close_link(link, "budget needed by another worker");
  }
  for (const auto& link : links_) link->tick(now);
  for (const auto& link : idle_) link->reauth_if_due(now);
}

void PinnedPool::shutdown() {
  const std::vector<LinkPtr> links = links_;
  for (const auto& link : links) {
    link->set_push_sink(nullptr);  // the drain closes the clients, not a lost session
    link->shutdown("Funnel is shutting down");
  }
  idle_.clear();
  ProcessCounters::add(*waiting_count_, -static_cast<std::int64_t>(waiters_.size()));
  waiters_.clear();
}

void PinnedPool::on_link_ready(BackendLink& link, const HandshakeResult&) {
  spdlog::debug("pinned link {} up", link.name());
  if (link_event_hook_) link_event_hook_();
}

// A pinned link that lost its connection lost its session state too (WATCH, a block): it must
// not reconnect silently under its lessee. Closed from a posted handler, outside the link's own
// failure path.
void PinnedPool::on_link_down(BackendLink& link, std::string_view) {
  auto it = std::find_if(links_.begin(), links_.end(),
                         [&](const LinkPtr& candidate) { return candidate.get() == &link; });
  if (it == links_.end()) return;
  if (PushSink* lessee = link.push_sink()) lessee->on_session_lost(link);
  asio::post(io_, [this, self = *it] { close_link(self, "connection lost"); });
  if (link_event_hook_) link_event_hook_();
}

void PinnedPool::on_link_readonly(BackendLink&, std::string_view, const ReplyTarget& target,
                                  common::Millis, std::string_view reply) {
  sink_.deliver(target, reply, ReplyTiming{0, common::precise_now_ns()});
}

void PinnedPool::on_link_retired(BackendLink& link) {
  const auto removed =
      std::erase_if(links_, [&](const LinkPtr& candidate) { return candidate.get() == &link; });
  std::erase_if(idle_, [&](const LinkPtr& candidate) { return candidate.get() == &link; });
  ProcessCounters::add(*open_count_, -static_cast<std::int64_t>(removed));
}

bool PinnedPool::on_link_redirect(BackendLink&, std::string_view, const ReplyTarget&,
                                  common::Millis, std::string_view) {
  if (redirect_hook_) redirect_hook_();
  return false;  // the lessee's own connection answered: it gets the reply as sent
}

void PinnedPool::deliver(const ReplyTarget& target, std::string_view reply,
                         const ReplyTiming& timing) {
  if (!(target.flags & kCleaning)) return sink_.deliver(target, reply, timing);
  if (reply.empty() || reply[0] != '-') {
    if (link_event_hook_) link_event_hook_();  // the link may be settled for a blocking command
    return;
  }
  for (const auto& link : links_) {
    if (reinterpret_cast<std::uintptr_t>(link.get()) == target.seq) {
      spdlog::warn("pinned link {}: cleaning failed ({}); closing it", link->name(), reply);
      asio::post(io_, [this, self = link] { close_link(self, "cleaning failed"); });
      return;
    }
  }
}

}  // namespace funnel::backend
