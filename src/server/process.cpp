// Process: builds the workers and the control thread, runs until a stop signal, then drains.
#include "server/process.hpp"

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "server/version.hpp"

namespace funnel::server {

namespace {
backend::LinkSettings link_settings_from(const config::Config& config) {
  backend::LinkSettings settings;
  settings.user = config.backend.user;
  if (config.backend.password) {
    settings.password = std::make_shared<const std::string>(*config.backend.password);
  }
  settings.connect_timeout_ms = config.backend.connect_timeout_ms;
  settings.request_timeout_ms = config.backend.request_timeout_ms;
  settings.stall_timeout_ms = config.backend.link_stall_timeout_ms;
  settings.backoff_min_ms = config.backend.reconnect_backoff_min_ms;
  settings.backoff_max_ms = config.backend.reconnect_backoff_max_ms;
  return settings;
}
}  // namespace

Process::Process(config::Config config)
    : config_(std::move(config)), link_settings_(link_settings_from(config_)) {
  facts_.workers = config_.server.workers;
  facts_.connections_per_node = config_.backend.connections_per_node;
  facts_.version = kFunnelVersion;
  facts_.counters = &counters_;
  if (config_.auth.requirepass) {
    requirepass_ = std::make_shared<const std::string>(*config_.auth.requirepass);
  }
  control_ = std::make_unique<Control>(config_, link_settings_, [this](backend::SnapshotPtr s) {
    for (auto& worker : workers_) worker->publish(s);
  });
}

Process::~Process() = default;

int Process::run() {
  // Catch stop signals from the start: a SIGTERM during start-up must drain and exit 0 too.
  asio::io_context signals_io(1);
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  for (unsigned i = 0; i < config_.server.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i));
  }
  for (auto& worker : workers_) worker->open_listener();  // throws with a clear message

  if (config_.admin.listen) {
    spdlog::warn("admin.listen = {} is accepted but this version has no admin HTTP endpoint yet; "
                 "use INFO (its # Funnel section) for Funnel's figures",
                 config_.admin.listen->to_string());
  }
  const backend::SnapshotPtr snapshot = control_->bootstrap();
  if (snapshot->redis_version.empty()) {
    spdlog::warn("backend {} not reachable yet; serving errors until it is (Funnel keeps trying)",
                 snapshot->address);
  }
  for (auto& worker : workers_) worker->start(snapshot);
  control_->start();
  spdlog::info("funnel {} listening on {} -> backend {} (redis {}), {} workers, "
               "{} shared links per protocol, max_clients {}{}",
               kFunnelVersion, config_.server.listen.to_string(), snapshot->address,
               snapshot->redis_version.empty() ? "unknown" : snapshot->redis_version,
               config_.server.workers, config_.backend.connections_per_node,
               config_.server.max_clients, requirepass_ ? ", clients must AUTH" : "");

  int received = 0;
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (!ec) received = signal;
  });
  signals_io.run();
  spdlog::info("received {}; draining for up to {} ms", received == SIGINT ? "SIGINT" : "SIGTERM",
               config_.server.drain_timeout_ms);
  drain_and_stop();
  return 0;
}

void Process::drain_and_stop() {
  for (auto& worker : workers_) worker->begin_drain();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.server.drain_timeout_ms);
  // Wait until every worker has answered its in-flight requests and closed its clients.
  const auto all_drained = [&] {
    for (auto& worker : workers_) {
      if (!worker->drained()) return false;
    }
    return true;
  };
  while (!all_drained() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!all_drained()) spdlog::warn("drain deadline passed; closing the remaining clients");
  control_->stop();
  for (auto& worker : workers_) worker->stop();
  for (auto& worker : workers_) worker->join();
  spdlog::info("stopped");
}

}  // namespace funnel::server
