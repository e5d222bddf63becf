// Worker side of a configuration reload (issue #17, item 1; process_reload.cpp decides what
// changed): the live keys are copied into the worker's own configuration between two batches,
// on the worker's thread, so sessions read them as before with no lock; the parsers' limits,
// the users and the read routes are told. Sessions keep their place: an authenticated client
// keeps its session with its user's new rules, and is closed only if its user was removed.
#include <boost/asio/post.hpp>

#include "client/client_session.hpp"
#include "config/reload_keys.hpp"
#include "server/process.hpp"
#include "server/worker.hpp"

namespace funnel::server {

void Worker::apply_settings(LiveSettingsPtr settings) {
  asio::post(io_, [this, settings = std::move(settings)] {
    const bool policy_changed = settings->read_policy != reads_->policy();
    // settings->config holds only what the process applied (it decided what changed).
    config::copy_live_keys(settings->config, config_);
    apply_limits();
    if (settings->users != context_->users) apply_users(settings->users);
    if (policy_changed && !context_->cluster) {
      reads_->set_policy(settings->read_policy);
      if (context_->snapshot) apply_snapshot(context_->snapshot);
    }
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
