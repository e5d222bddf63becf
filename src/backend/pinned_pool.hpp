// The pinned pool: dedicated backend links leased to one client while its state must live on
// the backend (WATCH … EXEC, a blocking command), bounded by backend.max_pinned for the whole
// process. Each worker has its own PinnedPool (links live on their worker's thread); the
// process-wide limit is one atomic count of open pinned links in ProcessCounters, taken with a
// compare-and-swap before a link is opened and given back when it closes.
//
// Waiting: a client that finds the pool exhausted waits up to backend.pinned_borrow_timeout_ms.
// A release on the same worker hands the link to the first waiter at once. Workers do not signal
// each other: a worker that releases or holds idle links while any worker has waiters
// (ProcessCounters::pinned_waiting) closes them instead of keeping them, which frees the budget,
// and every worker retries its waiters on its 100 ms tick. So a waiter on another worker gets a
// link within about one tick of the release, and never waits past its deadline.
//
// Returning a link: RESET then the link's own handshake (HELLO proto [AUTH] SETNAME) are written
// ahead of the next lessee's requests, so the link is clean before anything of theirs runs. A
// link with a request still in flight (a blocked command whose client left, a timed-out request)
// or not ready is closed, never handed on.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend_link.hpp"
#include "metrics/process_counters.hpp"

namespace funnel::backend {

using LinkPtr = std::shared_ptr<BackendLink>;

// A client waiting for a lease. Called on the pool's worker thread, from tick() or release().
class LeaseWaiter {
 public:
  virtual ~LeaseWaiter() = default;
  virtual void on_lease(LinkPtr link) = 0;
  // The borrow timeout passed (or pinning is off): `error` is the reply text, without '-'.
  virtual void on_lease_refused(std::string_view error) = 0;
};

// One node's pinned-link budget, process-wide (cluster mode: every shard primary but the main
// node has its own, shared by the workers' pools for that node; the main node's is the
// ProcessCounters pair). `open`: links open or opening; `waiting`: clients waiting for one.
struct PinBudget {
  std::atomic<std::int64_t> open{0};
  std::atomic<std::int64_t> waiting{0};
  std::atomic<std::int64_t> leased{0};  // for the per-node gauges only
};

struct PinnedLimits {
  unsigned max_pinned = 64;                 // process-wide, per node
  common::Millis borrow_timeout_ms = 2000;  // how long a client waits for a lease
};

class PinnedPool final : public LinkObserver, public ReplySink {
 public:
  PinnedPool(asio::io_context& io, const LinkSettings& settings, PinnedLimits limits,
             ReplySink& sink, metrics::ProcessCounters& counters);
  ~PinnedPool() override;

  void set_snapshot(SnapshotPtr snapshot);
  // False when backend.max_pinned is 0: commands that need a pinned link are refused at once.
  bool enabled() const { return limits_.max_pinned > 0; }
  // A configuration reload (worker thread): new leases and waits use the new bounds. Links over
  // a lowered max_pinned stay with their lessees until released, then close (release()).
  void set_limits(PinnedLimits limits) { limits_ = limits; }
  // A link for one client, now: an idle clean one or a new one (connecting; requests submitted
  // meanwhile wait in it). Null when the budget is used up: call wait().
  LinkPtr try_lease(resp::Protocol protocol);
  // Queues the waiter until a link frees or the borrow timeout passes. The waiter must stay valid
  // until called or cancel_wait().
  void wait(LeaseWaiter& waiter, resp::Protocol protocol);
  void cancel_wait(LeaseWaiter& waiter);
  // Gives a leased link back; it is cleaned and reused, or closed if anything is in doubt or it
  // is not `reusable` (a MONITOR link: its lines would pass for the cleaning's replies).
  void release(const LinkPtr& link, bool reusable = true);
  // Puts a freshly leased link on the lessee's database (SELECT db ahead of its requests; the
  // reply stays in the pool, a failure closes the link). RESET on release undoes it.
  void select_database(BackendLink& link, std::uint32_t db);
  // Submits on a leased link (or answers with the link's unavailable error).
  void submit(BackendLink& link, std::string_view request, const ReplyTarget& target,
              common::Millis deadline);

  void tick(common::Millis now);
  void shutdown();
  void set_metrics(metrics::WorkerMetrics* metrics) { metrics_ = metrics; }
  // Counts this pool's links and waiters against `budget` (one cluster node's, process-wide)
  // instead of the process's main pair. Before the first lease; `budget` outlives the pool.
  void set_budget(PinBudget& budget) {
    open_count_ = &budget.open;
    waiting_count_ = &budget.waiting;
    leased_count_ = &budget.leased;
  }
  std::string refusal_text() const;
  // Called (worker thread) when a pinned link becomes ready, goes down, or has a cleaning reply
  // back: a lessee waiting for its link to settle before writing a blocking command may go on
  // (client::BlockingOrder).
  void set_link_event_hook(std::function<void()> hook) { link_event_hook_ = std::move(hook); }
  // Called (worker thread) when a pinned link's request is answered -MOVED, -ASK, -TRYAGAIN or
  // -CLUSTERDOWN: the client gets it as a client connected to that node would, and the cluster's
  // slot map should be read again (the slot may have moved while the client was pinned).
  void set_redirect_hook(std::function<void()> hook) { redirect_hook_ = std::move(hook); }

  // LinkObserver
  void on_link_ready(BackendLink& link, const HandshakeResult& handshake) override;
  void on_link_down(BackendLink& link, std::string_view reason) override;
  void on_link_readonly(BackendLink& link, std::string_view request, const ReplyTarget& target,
                        common::Millis deadline, std::string_view reply) override;
  void on_link_retired(BackendLink& link) override;
  bool on_link_redirect(BackendLink& link, std::string_view request, const ReplyTarget& target,
                        common::Millis deadline, std::string_view reply) override;
  // ReplySink: replies of pinned links; the cleaning replies (RESET, HELLO) stop here.
  void deliver(const ReplyTarget& target, std::string_view reply,
               const ReplyTiming& timing) override;
  PartVerdict deliver_part(const ReplyTarget& target, std::string_view part, PartKind kind,
                           const ReplyTiming& timing,
                           const std::weak_ptr<StreamSource>& source) override {
    if (target.flags & kCleaning) return PartVerdict::kDiscard;  // RESET/HELLO: never large
    return sink_.deliver_part(target, part, kind, timing, source);
  }

  static constexpr std::uint8_t kCleaning = 0x80;  // ReplyTarget flag: a pool-internal request

 private:
  struct Waiter {
    LeaseWaiter* waiter;
    resp::Protocol protocol;
    common::Millis deadline;
  };
  bool take_budget();
  LinkPtr open_link(resp::Protocol protocol);
  LinkPtr take_idle(resp::Protocol protocol);
  void close_link(const LinkPtr& link, std::string_view reason);
  void clean(BackendLink& link);
  void count_leases(std::int64_t delta);
  void serve_waiters(common::Millis now);
  bool others_waiting() const;
  bool over_budget() const;  // more links open than max_pinned (lowered by a reload)

  asio::io_context& io_;
  const LinkSettings& settings_;
  PinnedLimits limits_;
  ReplySink& sink_;
  metrics::ProcessCounters& counters_;
  metrics::WorkerMetrics* metrics_ = nullptr;
  SnapshotPtr snapshot_;
  std::vector<LinkPtr> links_;  // every open pinned link of this worker (idle, leased, closing)
  std::vector<LinkPtr> idle_;
  std::deque<Waiter> waiters_;
  std::function<void()> link_event_hook_;
  std::function<void()> redirect_hook_;
  std::atomic<std::int64_t>* open_count_ = &counters_.pinned_links_open;
  std::atomic<std::int64_t>* waiting_count_ = &counters_.pinned_waiting;
  // The node's own count of leases (set_budget); the process's total is counters_.pinned_leased.
  std::atomic<std::int64_t>* leased_count_ = nullptr;
};

}  // namespace funnel::backend
