// Configuration reload (issue #17, item 1): SIGHUP, FUNNEL RELOAD and POST /reload parse the
// command line again (re-reading the --config file and the secrets it names). An invalid file
// changes nothing and says why; a valid one applies the keys that can change live
// (config/reload_keys.cpp), hands the workers one immutable snapshot of them (each applies it
// between batches: reload_apply.cpp) and names every other changed key as needing a restart.
// Every reload also re-reads the TLS files (same paths) for new connections and links.
#include <algorithm>
#include <future>

#include <boost/asio/post.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/reload_diff.hpp"
#include "config/reload_keys.hpp"
#include "server/process.hpp"

namespace funnel::server {

namespace {
std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}
bool has(const std::vector<std::string>& names, std::string_view key) {
  return std::find(names.begin(), names.end(), key) != names.end();
}
// What the control thread's topology monitor reads (the read policy is the workers').
bool sources_changed(const std::vector<std::string>& live) {
  return std::any_of(live.begin(), live.end(), [](const std::string& key) {
    return key == "backend.address" || key == "backend.resolve_interval_s" ||
           (key.starts_with("topology.") && key != "topology.read_policy");
  });
}
bool names_any(const std::vector<std::string>& live, std::initializer_list<std::string_view> keys) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](std::string_view key) { return has(live, key); });
}
tls::ClientTlsOptions backend_tls_files(const config::BackendConfig& backend) {
  return {.ca_file = backend.tls_ca_file,
          .cert_file = backend.tls_cert_file,
          .key_file = backend.tls_key_file};
}
bool auth_changed(const std::vector<std::string>& live) {
  return has(live, "auth.users") || has(live, "auth.requirepass_file") ||
         has(live, "auth.deny_commands") || has(live, "auth.backend_enforces_deny_list") ||
         has(live, "auth.default_max_connections") ||
         has(live, "auth.default_max_commands_per_s") || has(live, "auth.default_max_pinned");
}

// The report of a reload whose workers did not all apply it within the bound.
Process::ReloadReport late_report(const ReloadBarrier& barrier) {
  const unsigned waiting = std::min(barrier.waiting(), barrier.workers);
  return {true,
          fmt::format("reload applied ({}), but {} of {} workers had not applied it after {} ms "
                      "(a worker busy or stuck); they apply it when their loop gets to it: check "
                      "the log and FUNNEL STATS",
                      barrier.text, waiting, barrier.workers, kReloadApplyBoundMs),
          true};
}

}  // namespace

void Process::reload_config(asio::io_context& io, std::function<void(ReloadReport)> done) {
  auto timer = std::make_shared<SteadyTimer>(io.get_executor());
  auto barrier = std::make_shared<ReloadBarrier>(
      [&io, timer, done = std::move(done)](const ReloadBarrier& b, bool all_applied) {
        ReloadReport report = all_applied ? ReloadReport{b.ok, b.text} : late_report(b);
        asio::post(io, [timer, done, report = std::move(report)] {
          timer->cancel();
          done(report);
        });
      });
  reload_from("FUNNEL RELOAD", barrier);
  timer->expires_after(std::chrono::milliseconds(kReloadApplyBoundMs));
  timer->async_wait([weak = std::weak_ptr<ReloadBarrier>(barrier)](boost::system::error_code ec) {
    if (const auto barrier = weak.lock(); barrier && !ec) barrier->expire();
  });
}

Process::ReloadReport Process::reload_and_wait(std::string_view trigger) {
  auto reply = std::make_shared<std::promise<ReloadReport>>();
  auto barrier = std::make_shared<ReloadBarrier>([reply](const ReloadBarrier& b, bool all_applied) {
    reply->set_value(all_applied ? ReloadReport{b.ok, b.text} : late_report(b));
  });
  std::future<ReloadReport> report = reply->get_future();
  reload_from(trigger, barrier);
  if (report.wait_for(std::chrono::milliseconds(kReloadApplyBoundMs)) !=
      std::future_status::ready) {
    barrier->expire();  // sets the value unless the last worker just did
  }
  return report.get();
}

Process::ReloadReport Process::reload_from(std::string_view trigger,
                                           const ReloadBarrierPtr& barrier) {
  std::lock_guard lock(reload_mutex_);
  reload_trigger_ = trigger;
  ReloadReport report = reload_config_locked(barrier);
  (report.ok ? reloads_applied_ : reloads_invalid_).fetch_add(1, std::memory_order_relaxed);
  if (report.ok) {
    spdlog::info("configuration reloaded: {}", report.text);
  } else {
    spdlog::error("configuration reload failed, nothing changed: {}", report.text);
  }
  if (barrier) {
    barrier->ok = report.ok;
    barrier->text = report.text;
    barrier->arrive();  // the workers may have applied already: then the reply goes now
  }
  return report;
}

// Everything that can fail (parsing, the secrets, the users' rules) is done before anything is
// applied, so an invalid file changes nothing.
Process::ReloadReport Process::reload_config_locked(const ReloadBarrierPtr& barrier) {
  if (reload_args_.empty()) return {false, "no command line to re-read"};
  if (!applied_) applied_ = std::make_unique<config::Config>(config_);
  std::vector<const char*> argv;
  for (const std::string& arg : reload_args_) argv.push_back(arg.c_str());
  config::Config next;
  try {
    auto invocation = config::parse_invocation(static_cast<int>(argv.size()), argv.data());
    if (invocation.action != config::Invocation::Action::kRun) {
      return {false, "the command line no longer parses"};
    }
    next = std::move(invocation.config);
  } catch (const std::exception& e) {
    return {false, e.what()};
  }
  const config::ReloadDiff diff = config::diff_for_reload(*applied_, next);
  std::shared_ptr<const security::UserDirectory> users = users_;
  if (auth_changed(diff.live)) {
    try {
      users = security::UserDirectory::rebuild(next.auth, *users_);
    } catch (const std::exception& e) {
      return {false, e.what()};
    }
    using State = security::ScriptGate::State;
    if (users->policy().gate().state() == State::kUnenforced &&
        users_->policy().gate().state() != State::kUnenforced) {
      spdlog::warn("reload: scripts are refused from now until a restart: {}",
                   users->policy().gate().refusal());
    }
  }
  TlsFiles tls_files;
  if (std::string error = load_tls_files(diff.live, next, tls_files); !error.empty()) {
    return {false, error};
  }
  config::copy_keys(next, *applied_, diff.live);
  adopt_tls_files(tls_files);
  apply_live(diff.live, std::move(users), barrier);
  std::string text = diff.live.empty() ? "nothing to apply live" : "applied " + join(diff.live);
  if (!diff.restart.empty()) {
    text += "; changed but kept until a restart: " + join(diff.restart) +
            " (a hot restart, funnel --takeover, applies them without closing clients)";
  }
  return {true, text + reload_tls_files()};
}

// The process-wide parts here; the workers' parts on their own threads (Worker::apply_settings).
void Process::apply_live(const std::vector<std::string>& live,
                         std::shared_ptr<const security::UserDirectory> users,
                         const ReloadBarrierPtr& barrier) {
  if (has(live, "log.level")) spdlog::set_level(spdlog::level::from_str(applied_->log.level));
  drain_timeout_ms_.store(applied_->server.drain_timeout_ms, std::memory_order_relaxed);
  max_clients_.store(applied_->server.max_clients, std::memory_order_relaxed);
  max_pinned_.store(applied_->backend.max_pinned, std::memory_order_relaxed);
  database_pools_->set_limit(applied_->backend.max_database_pools);
  // Before the workers reset their countdowns to the new rate (Worker::apply_settings).
  hotkeys_->configure(applied_->shield.hotkeys_sample_every,
                      applied_->shield.hotkeys_window_s * 1000);
  // With IAM the password is a token IamAuth renews (backend.iam_* need a restart).
  if (!iam_auth_ && (has(live, "backend.user") || has(live, "backend.password_file"))) {
    backend::BackendCredentials next;
    next.user = applied_->backend.user;
    if (applied_->backend.password) {
      next.password = std::make_shared<const std::string>(*applied_->backend.password);
    }
    link_settings_.credentials->set(std::move(next));  // new links log in with them
    spdlog::info("{}: backend credentials re-read from {}; new backend links use them",
                 reload_trigger_,
                 applied_->backend.password_file.empty() ? std::string("the environment")
                                                         : applied_->backend.password_file);
  }
  users_ = std::move(users);
  apply_link_timeouts();
  auth_throttle_.set_settings(throttle_settings_from(applied_->auth));
  slowlog_->resize(applied_->limits.slowlog_max_len);
  if (admin_ && std::any_of(live.begin(), live.end(),
                            [](const std::string& key) { return key.starts_with("admin."); })) {
    admin_->reconfigure(applied_->admin);
  }
  link_settings_.failover_gate->configure(applied_->backend.failover_hold_ms,
                                          replaceable_primary(*applied_));
  if (!applied_->cluster.seeds.empty()) {
    link_settings_.shard_hold_gate->configure(applied_->backend.failover_hold_ms);
  }
  if (has(live, "topology.read_policy")) {
    read_policy_ = routing::read_policy_from_name(applied_->topology.read_policy)
                       .value_or(routing::ReadPolicy::kPrimary);
  }
  read_your_writes_ = client::read_your_writes_from(applied_->topology.read_your_writes);
  if (sources_changed(live)) {
    control_->set_sources(std::make_shared<const config::Config>(*applied_));
  }
  if (live.empty()) return;
  ReloadBarrierPtr pools_resized;
  if (has(live, "backend.connections_per_node")) {
    connections_per_node_.store(applied_->backend.connections_per_node, std::memory_order_relaxed);
    // Step 2 of backend/pool_resize.cpp once every worker has done step 1 (never expires).
    pools_resized = std::make_shared<ReloadBarrier>([this](const ReloadBarrier&, bool all) {
      if (all) {
        for (auto& worker : workers_) worker->retire_extra_links();
      }
    });
    pools_resized->expect(worker_count());
  }
  auto settings =
      std::make_shared<const LiveSettings>(LiveSettings{.config = *applied_,
                                                        .users = users_,
                                                        .read_policy = read_policy_,
                                                        .read_your_writes = read_your_writes_,
                                                        .pools_resized = pools_resized});
  if (barrier) {
    barrier->workers = worker_count();
    barrier->expect(worker_count());
  }
  for (auto& worker : workers_) worker->apply_settings(settings, barrier);
  if (pools_resized) pools_resized->arrive();  // this reload's own party
}

// The backend timeouts and reconnect backoff every link reads when it arms a timer or checks a
// deadline (links on every worker, the pub/sub hub's and the control thread's).
void Process::apply_link_timeouts() {
  const config::BackendConfig& backend = applied_->backend;
  link_settings_.connect_timeout_ms = backend.connect_timeout_ms;
  link_settings_.request_timeout_ms = backend.request_timeout_ms;
  link_settings_.stall_timeout_ms = backend.link_stall_timeout_ms;
  link_settings_.backoff_min_ms = backend.reconnect_backoff_min_ms;
  link_settings_.backoff_max_ms = backend.reconnect_backoff_max_ms;
  link_settings_.max_in_flight_per_link = backend.max_in_flight_per_link;
}

std::string Process::load_tls_files(const std::vector<std::string>& live,
                                    const config::Config& next, TlsFiles& files) const {
  try {
    if (server_tls_ && names_any(live, {"tls.cert_file", "tls.key_file", "tls.client_ca_file"})) {
      files.server = server_tls_->load_files(next.tls);
    }
    if (link_settings_.tls &&
        names_any(live, {"backend.tls_ca_file", "backend.tls_cert_file", "backend.tls_key_file"})) {
      files.backend = link_settings_.tls->load_files(backend_tls_files(next.backend));
    }
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

void Process::adopt_tls_files(TlsFiles& files) {
  if (files.server) {
    server_tls_->adopt(applied_->tls, std::move(files.server));
    spdlog::info("{}: client TLS now from {}; new client connections use it", reload_trigger_,
                 applied_->tls.cert_file);
  }
  if (files.backend) {
    link_settings_.tls->adopt(backend_tls_files(applied_->backend), std::move(files.backend));
    spdlog::info("{}: backend TLS files changed; new backend links use them", reload_trigger_);
  }
}

// The certificate files under the same paths (rotated certificates): new connections and new
// backend links use them. A file that cannot be read keeps the previous material.
std::string Process::reload_tls_files() {
  std::string text;
  if (server_tls_) {
    if (std::string error = server_tls_->reload(); error.empty()) {
      spdlog::info("{}: TLS {} reloaded; new client connections use it", reload_trigger_,
                   server_tls_->describe());
      text += "; client TLS files re-read";
    } else {
      spdlog::error("{}: TLS reload failed, keeping the previous certificate: {}", reload_trigger_,
                    error);
      text += "; client TLS files not re-read (" + error + "), the previous ones stay";
    }
  }
  if (link_settings_.tls) {
    if (std::string error = link_settings_.tls->reload(); error.empty()) {
      spdlog::info("{}: backend TLS files reloaded; new backend links use them", reload_trigger_);
      text += "; backend TLS files re-read";
    } else {
      spdlog::error("{}: backend TLS reload failed, keeping the previous files: {}",
                    reload_trigger_, error);
      text += "; backend TLS files not re-read (" + error + "), the previous ones stay";
    }
  }
  return text;
}

std::string Process::reload_metrics() const {
  return fmt::format(
      "# HELP funnel_config_reloads_total Configuration reloads (SIGHUP, FUNNEL RELOAD, POST "
      "/reload) by result; an invalid file changes nothing.\n"
      "# TYPE funnel_config_reloads_total counter\n"
      "funnel_config_reloads_total{{result=\"applied\"}} {}\n"
      "funnel_config_reloads_total{{result=\"invalid\"}} {}\n",
      reloads_applied_.load(std::memory_order_relaxed),
      reloads_invalid_.load(std::memory_order_relaxed));
}

}  // namespace funnel::server
