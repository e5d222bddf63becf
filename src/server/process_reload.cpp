// Configuration reload (issue #17, item 1): SIGHUP, FUNNEL RELOAD and POST /reload parse the
// command line again (re-reading the --config file and the secrets it names). An invalid file
// changes nothing and says why; a valid one applies the keys that can change live
// (config/reload_keys.cpp), hands the workers one immutable snapshot of them (each applies it
// between batches: reload_apply.cpp) and names every other changed key as needing a restart.
// Every reload also re-reads the TLS files (same paths) for new connections and links.
#include <algorithm>

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
    return key == "backend.address" ||
           (key.starts_with("topology.") && key != "topology.read_policy");
  });
}
bool auth_changed(const std::vector<std::string>& live) {
  return has(live, "auth.users") || has(live, "auth.requirepass_file") ||
         has(live, "auth.deny_commands") || has(live, "auth.backend_enforces_deny_list") ||
         has(live, "auth.default_max_connections") || has(live, "auth.default_max_commands_per_s");
}
}  // namespace

Process::ReloadReport Process::reload_config() {
  return reload_from("FUNNEL RELOAD");
}

Process::ReloadReport Process::reload_from(std::string_view trigger) {
  std::lock_guard lock(reload_mutex_);
  reload_trigger_ = trigger;
  ReloadReport report = reload_config_locked();
  (report.ok ? reloads_applied_ : reloads_invalid_).fetch_add(1, std::memory_order_relaxed);
  if (report.ok) {
    spdlog::info("configuration reloaded: {}", report.text);
  } else {
    spdlog::error("configuration reload failed, nothing changed: {}", report.text);
  }
  return report;
}

// Everything that can fail (parsing, the secrets, the users' rules) is done before anything is
// applied, so an invalid file changes nothing.
Process::ReloadReport Process::reload_config_locked() {
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
  config::copy_keys(next, *applied_, diff.live);
  apply_live(diff.live, std::move(users));
  std::string text = diff.live.empty() ? "nothing to apply live" : "applied " + join(diff.live);
  if (!diff.restart.empty()) {
    text += "; changed but kept until a restart: " + join(diff.restart);
  }
  return {true, text + reload_tls_files()};
}

// The process-wide parts here; the workers' parts on their own threads (Worker::apply_settings).
void Process::apply_live(const std::vector<std::string>& live,
                         std::shared_ptr<const security::UserDirectory> users) {
  if (has(live, "log.level")) spdlog::set_level(spdlog::level::from_str(applied_->log.level));
  drain_timeout_ms_.store(applied_->server.drain_timeout_ms, std::memory_order_relaxed);
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
  if (has(live, "topology.read_policy")) {
    read_policy_ = routing::read_policy_from_name(applied_->topology.read_policy)
                       .value_or(routing::ReadPolicy::kPrimary);
  }
  if (sources_changed(live)) {
    control_->set_sources(std::make_shared<const config::Config>(*applied_));
  }
  if (live.empty()) return;
  auto settings = std::make_shared<const LiveSettings>(
      LiveSettings{.config = *applied_, .users = users_, .read_policy = read_policy_});
  for (auto& worker : workers_) worker->apply_settings(settings);
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
