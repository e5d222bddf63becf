// Worker side of a configuration reload (issue #17, item 1; process_reload.cpp decides what
// changed): the live keys are copied into the worker's own configuration between two batches,
// on the worker's thread, so sessions read them as before with no lock; the parsers' limits,
// the users and the read routes are told. Sessions keep their place: an authenticated client
// keeps its session with its user's new rules, and is closed only if its user was removed.
#include <bitset>

#include <boost/asio/post.hpp>

#include "client/client_session.hpp"
#include "config/reload_keys.hpp"
#include "server/process.hpp"
#include "server/worker.hpp"

namespace funnel::server {
namespace {
bool same_coalescing(const config::ShieldConfig& a, const config::ShieldConfig& b) {
  return a.coalesce == b.coalesce && a.coalesce_commands == b.coalesce_commands &&
         a.coalesce_unsafe_for_tests == b.coalesce_unsafe_for_tests;
}
}  // namespace

void Worker::apply_settings(LiveSettingsPtr settings, ReloadBarrierPtr barrier) {
  asio::post(io_, [this, settings = std::move(settings), barrier = std::move(barrier)] {
    const bool policy_changed = settings->read_policy != reads_->policy() ||
                                settings->read_your_writes != reads_->read_your_writes();
    // settings->config holds only what the process applied (it decided what changed).
    const config::ShieldConfig shield_before = config_.shield;
    const unsigned links_before = config_.backend.connections_per_node;
    config::copy_live_keys(settings->config, config_);
    apply_limits();
    if (!same_coalescing(shield_before, config_.shield)) {
      // Sessions read it per request: the next read is offered (or not) by the new rules; a
      // read already joined to another's reply gets it as before.
      context_->coalesce = client::make_coalesce_settings(config_.shield);
    }
    if (settings->users != context_->users) apply_users(settings->users);
    if (policy_changed && !context_->cluster) {
      reads_->set_policy(settings->read_policy);
      reads_->set_read_your_writes(settings->read_your_writes);
      if (context_->snapshot) apply_snapshot(context_->snapshot);
    }
    if (config_.backend.connections_per_node != links_before) resize_pools();
    apply_pinned_and_sampling(shield_before.hotkeys_sample_every);
    if (settings->pools_resized) settings->pools_resized->arrive();
    if (barrier) barrier->arrive();
  });
}

// backend.max_pinned and pinned_borrow_timeout_ms: new leases and waits use them (links over a
// lowered bound stay with their lessees, PinnedPool::set_limits). shield.hotkeys_sample_every:
// the next sample comes after the new rate (the process configured the tables before).
void Worker::apply_pinned_and_sampling(unsigned sample_every_before) {
  const backend::PinnedLimits limits{config_.backend.max_pinned,
                                     config_.backend.pinned_borrow_timeout_ms};
  pinned_->set_limits(limits);
  if (cluster_pinned_) cluster_pinned_->set_limits(limits);
  const unsigned every = config_.shield.hotkeys_sample_every;
  if (every != sample_every_before) context_->hot_key_countdown = every > 0 ? every : UINT32_MAX;
}

// backend.connections_per_node (backend/pool_resize.cpp, step 1): this worker's sessions route
// by the new count from their next request, after what they have in flight on the old one.
void Worker::resize_pools() {
  router_->flush_now();  // hand-offs routed by the old count go before this worker arrives
  const unsigned count = config_.backend.connections_per_node;
  pool_->resize(count);
  replicas_->resize(count);
  // Never a layout a client still has requests in flight on (plan::next_pool_layout).
  std::bitset<plan::kPoolLayouts> in_flight;
  context_->registry.for_each([&](client::ClientSession& session) {
    if (const int layout = session.layout_in_flight(); layout >= 0) in_flight.set(layout);
  });
  context_->pool_layout = plan::next_pool_layout(context_->pool_layout, in_flight);
}

// Step 2, once every worker has resized (Process::apply_live). Thread-safe.
void Worker::retire_extra_links() {
  asio::post(io_, [this] {
    pool_->retire_extra_links();
    replicas_->retire_extra_links();
  });
}

void Worker::apply_limits() {
  const config::LimitsConfig& limits = config_.limits;
  configure_accept_pace();
  context_->per_request_metrics = config_.admin.metrics != 0;
  context_->slowlog_above_ns = limits.slowlog_max_len > 0
                                   ? static_cast<std::int64_t>(limits.slowlog_slower_than_us) * 1000
                                   : INT64_MAX;
  context_->parser.set_limits(resp::ParseLimits{.max_request_bytes = limits.max_request_bytes});
  const std::size_t preauth = limits.max_unauthenticated_request_bytes;
  context_->preauth_parser.set_limits(resp::ParseLimits{.max_args = 64,
                                                        .max_bulk_bytes = preauth,
                                                        .max_inline_bytes = preauth,
                                                        .max_request_bytes = preauth});
}

// The old directory stays alive until every session has moved to the new one (sessions point at
// its users), then goes with the last reference.
void Worker::apply_users(std::shared_ptr<const security::UserDirectory> users) {
  const std::shared_ptr<const security::UserDirectory> previous = std::move(context_->users);
  context_->users = std::move(users);
  std::vector<client::ClientSession*> removed;
  context_->registry.for_each([&](client::ClientSession& session) {
    if (!session.rebind_user(*context_->users)) removed.push_back(&session);
  });
  for (client::ClientSession* session : removed) session->close(metrics::CloseReason::kUserRemoved);
}

}  // namespace funnel::server
