// Configuration reload (issue #17, item 1): SIGHUP, FUNNEL RELOAD and POST /reload parse the
// command line again (re-reading the --config file and the secrets it names). An invalid file
// changes nothing and says why; a valid one applies the keys that can change live (log.level
// today) and names every other changed key as needing a restart (config/reload_diff.hpp).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/reload_diff.hpp"
#include "server/process.hpp"

namespace funnel::server {

namespace {
std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}
}  // namespace

Process::ReloadReport Process::reload_config() {
  std::lock_guard lock(reload_mutex_);
  ReloadReport report = reload_config_locked();
  (report.ok ? reloads_applied_ : reloads_invalid_).fetch_add(1, std::memory_order_relaxed);
  if (report.ok) {
    spdlog::info("configuration reloaded: {}", report.text);
  } else {
    spdlog::error("configuration reload failed, nothing changed: {}", report.text);
  }
  return report;
}

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
  if (std::find(diff.live.begin(), diff.live.end(), "log.level") != diff.live.end()) {
    spdlog::set_level(spdlog::level::from_str(next.log.level));
    applied_->log.level = next.log.level;
  }
  std::string text = diff.live.empty() ? "nothing to apply live" : "applied " + join(diff.live);
  if (!diff.restart.empty()) {
    text += "; changed but kept until a restart: " + join(diff.restart);
  }
  return {true, text};
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
