// Process: builds the workers and the control thread, runs until a stop signal, then drains.
#include "server/process.hpp"

#include <functional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>

#include "backend/node_access.hpp"
#include "common/invariant.hpp"
#include "routing/near_cache_rule.hpp"
#include "server/sd_notify.hpp"
#include "server/version.hpp"

namespace funnel::server {

namespace {
backend::LinkSettings link_settings_from(const config::Config& config) {
  backend::LinkSettings settings;
  backend::BackendCredentials credentials;
  credentials.user = config.backend.user;
  if (config.backend.password) {
    credentials.password = std::make_shared<const std::string>(*config.backend.password);
  }
  settings.credentials = std::make_shared<backend::CredentialSource>(std::move(credentials));
  if (config.backend.tls != 0) {
    settings.tls = std::make_shared<tls::ClientTls>(
        tls::ClientTlsOptions{.ca_file = config.backend.tls_ca_file,
                              .verify = config.backend.tls_verify != 0,
                              .cert_file = config.backend.tls_cert_file,
                              .key_file = config.backend.tls_key_file});
    settings.tls_server_name = config.backend.tls_server_name;  // empty: each node's host
  }
  settings.node_access = backend::make_node_access(config);
  settings.connect_timeout_ms = config.backend.connect_timeout_ms;
  settings.request_timeout_ms = config.backend.request_timeout_ms;
  settings.stall_timeout_ms = config.backend.link_stall_timeout_ms;
  settings.backoff_min_ms = config.backend.reconnect_backoff_min_ms;
  settings.backoff_max_ms = config.backend.reconnect_backoff_max_ms;
  if (config.backend.iam()) settings.reauth_after_ms = config.backend.iam_reauth_s * 1000LL;
  settings.max_in_flight_per_link = config.backend.max_in_flight_per_link;
  settings.failover_gate->configure(config.backend.failover_hold_ms, replaceable_primary(config));
  // A cluster shard's primary is replaceable by its replicas (routing/shard_hold.hpp).
  if (!config.cluster.seeds.empty()) {
    settings.shard_hold_gate->configure(config.backend.failover_hold_ms);
  }
  return settings;
}
}  // namespace

// A down link means an expected failover only where another node can be promoted.
bool replaceable_primary(const config::Config& config) {
  return !config.topology.sentinels.empty() || config.topology.discover ||
         !config.topology.replicas.empty();
}

security::ThrottleSettings throttle_settings_from(const config::AuthConfig& auth) {
  return {.free_failures = auth.free_failures,
          .first_delay_ms = auth.failure_delay_ms,
          .max_delay_ms = auth.failure_max_delay_ms,
          .max_held_per_address = auth.max_held_per_address,
          .max_held_total = auth.max_held_total};
}

namespace {
std::string tls_summary(const config::TlsConfig& tls) {
  if (!tls.enabled()) return "";
  const std::string clients = tls.client_ca_file.empty() ? "" : ", client certificates required";
  if (tls.listen) return " (plain) and " + tls.listen->to_string() + " (TLS" + clients + ")";
  return " (TLS" + clients + ")";
}
}  // namespace

Process::Process(config::Config config)
    : config_(std::move(config)),
      link_settings_(link_settings_from(config_)),
      auth_throttle_(throttle_settings_from(config_.auth)) {
  drain_timeout_ms_ = config_.server.drain_timeout_ms;
  max_clients_ = config_.server.max_clients;
  max_pinned_ = config_.backend.max_pinned;
  connections_per_node_ = config_.backend.connections_per_node;
  facts_.workers = config_.server.workers;
  facts_.connections_per_node = config_.backend.connections_per_node;
  facts_.version = kFunnelVersion;
  facts_.counters = &counters_;
  database_pools_ = std::make_unique<backend::DatabasePools>(config_.backend.max_database_pools);
  read_policy_ = routing::read_policy_from_name(config_.topology.read_policy)
                     .value_or(routing::ReadPolicy::kPrimary);
  read_your_writes_ = client::read_your_writes_from(config_.topology.read_your_writes);
  write_watermark_ = std::make_unique<client::WriteWatermark>(config_.server.workers);
  blocking_order_ = std::make_unique<client::BlockingOrder>(config_.server.workers);
  facts_.databases = database_pools_.get();
  slowlog_ =
      std::make_unique<client::SlowLog>(config_.server.workers, config_.limits.slowlog_max_len);
  facts_.slowlog = slowlog_.get();
  // Made even when sampling is off, so a reload can turn it on (Process::apply_live).
  hotkeys_ =
      std::make_unique<client::HotKeys>(config_.server.workers, config_.shield.hotkeys_sample_every,
                                        config_.shield.hotkeys_window_s * 1000);
  facts_.hotkeys = hotkeys_.get();
  users_ = security::UserDirectory::build(config_.auth);  // throws ConfigError for bad rules
  // Data links provision a backend user without the deny list, so it holds inside scripts.
  link_settings_.backend_user =
      std::make_shared<const security::BackendUserSpec>(users_->backend_user_spec());
  link_settings_.script_gate = users_->policy().gate_ptr();
  if (config_.tls.enabled()) server_tls_ = std::make_unique<tls::ServerTls>(config_.tls);
  pubsub_hub_ = std::make_unique<PubsubHub>(link_settings_, config_.server.workers,
                                            [this](unsigned w, client::PubsubDelivery batch) {
                                              workers_[w]->accept_pubsub(std::move(batch));
                                            });
  if (config_.shield.near_cache != 0)
    near_cache_guard_ = std::make_unique<routing::NearCacheGuard>();
  control_ = std::make_unique<Control>(config_, link_settings_, [this](backend::SnapshotPtr s) {
    if (near_cache_tracker_ != nullptr) near_cache_tracker_->on_snapshot(s);
    for (auto& worker : workers_) worker->publish(s);
    pubsub_hub_->publish(s);
  });
  if (near_cache_guard_ != nullptr) {
    std::string ignored;  // config validation refused bad prefixes already
    near_cache_tracker_ = std::make_unique<NearCacheTracker>(
        control_->io(), link_settings_, *near_cache_guard_,
        routing::split_prefixes(config_.shield.near_cache_prefixes, ignored),
        [this] { return control_->current(); });
  }
  if (config_.backend.iam()) {
    iam_auth_ = std::make_unique<IamAuth>(config_.backend, link_settings_.credentials,
                                          aws::ChainEnvironment::system());
    iam_auth_->renew();  // no credentials: refuse to start, saying which sources were tried
  }
  if (config_.auth.users_from_backend != 0) {
    backend_auth_ = std::make_unique<BackendAuth>(control_->io(), link_settings_,
                                                  config_.auth.backend_users_cache_ms,
                                                  [this] { return control_->current(); });
  }
}

Process::~Process() = default;

void Process::post_requests(unsigned worker, client::HandoffBatch&& batch) {
  workers_[worker]->accept_handoff(std::move(batch));
}

void Process::post_replies(unsigned worker, client::ReplyBatch&& batch) {
  workers_[worker]->accept_replies(std::move(batch));
}

void Process::share_near_cache_entry(unsigned from, routing::SharedEntry entry) {
  for (unsigned w = 0; w < workers_.size(); ++w) {
    if (w != from) workers_[w]->accept_near_cache_entry(entry);  // a fill: rare, a copy each
  }
}

void Process::request_reresolve(std::uint64_t epoch_seen) {
  control_->request_reresolve(epoch_seen);
}

void Process::request_cluster_refresh() {
  control_->request_cluster_refresh();
}

void Process::report_node_failure(std::uint32_t node, std::string reason) {
  control_->report_node_failure(node, std::move(reason));
}

int Process::run() {
  // Catch stop signals from the start: a SIGTERM during start-up must drain and exit 0 too.
  asio::io_context signals_io(1);
  // The takeover listener waits on signals_io: it goes first, however run() ends (a throw too).
  struct ListenerReset {
    std::unique_ptr<TakeoverListener>& listener;
    ~ListenerReset() { listener.reset(); }
  } reset_listener{takeover_listener_};
  asio::signal_set signals(signals_io, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGUSR2);  // hot restart: start `funnel --takeover` (process_takeover.cpp)
  signals.add(SIGCHLD);  // ... and reap it if it ends
  for (unsigned i = 0; i < config_.server.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i));
  }
  // A pause or a failover hold that ends frees every worker's held clients at once (not on each
  // worker's 100 ms tick). workers_ is complete from here on and outlives every caller.
  const auto wake_workers = [this] {
    for (auto& worker : workers_) worker->wake_held();
  };
  link_settings_.pause_gate->set_waker(wake_workers);
  link_settings_.failover_gate->set_waker(wake_workers);
  open_listeners();  // throws with a clear message; --takeover: the running Funnel's sockets
  if (!takeover_) listen_for_takeover(signals_io);  // throws if a Funnel already listens there

  if (config_.admin.listen) {
    admin_ = std::make_unique<AdminHttp>(
        config_.admin, [this](bool post, const std::string& path, const std::string& query) {
          return admin_request(post, path, query);
        });
    admin_->start(take_admin_fd());  // throws with a clear message if the port is taken
  }
  const backend::SnapshotPtr snapshot = control_->bootstrap();
  if (snapshot->redis_version.empty()) {
    spdlog::warn("backend {} not reachable yet; serving errors until it is (Funnel keeps trying)",
                 snapshot->address);
  }
  pubsub_hub_->start(snapshot);
  for (auto& worker : workers_) worker->start(snapshot);
  if (iam_auth_) iam_auth_->start(control_->io());  // before the loop runs: no race on the timer
  if (near_cache_tracker_ != nullptr) near_cache_tracker_->start();  // runs on control_'s loop
  if (backend_auth_) backend_auth_->start();
  control_->start();
  ready_ = true;
  finish_takeover();  // --takeover: the old process stops accepting; systemd follows this one
  report_to_systemd(takeover_ ? "MAINPID=" + std::to_string(::getpid()) + "\nREADY=1"
                              : std::string("READY=1"));  // connects are accepted from now
  if (takeover_) listen_for_takeover(signals_io);         // the old one has released the path
  spdlog::info(
      "funnel {} listening on {}{} -> backend {} (redis {}), {} workers ({}), "
      "{} shared links per protocol, max_clients {}{}",
      kFunnelVersion, config_.server.listen.to_string(), tls_summary(config_.tls),
      snapshot->address, snapshot->redis_version.empty() ? "unknown" : snapshot->redis_version,
      config_.server.workers, config_.server.workers_reason, config_.backend.connections_per_node,
      config_.server.max_clients, users_->initial_user() == nullptr ? ", clients must AUTH" : "");

  warn_if_backlog_small();
  int received = 0;
  // SIGHUP reloads and waits again; SIGINT/SIGTERM end the wait and start the drain.
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int signal) {
    if (ec) return;
    if (signal == SIGHUP || signal == SIGUSR2 || signal == SIGCHLD) {
      if (signal == SIGHUP) {
        report_to_systemd(reloading_message());
        reload();
        report_to_systemd("READY=1");
      }
      if (signal == SIGUSR2) spawn_takeover();
      if (signal == SIGCHLD) reap_takeover();
      if (received == 0) signals.async_wait(on_signal);
      return;
    }
    received = signal;
    signals_io.stop();  // the takeover listener's wait would keep run() going
  };
  signals.async_wait(on_signal);
  signals_io.run();
  takeover_listener_.reset();  // no takeover during the drain
  if (handed_over_ && received == 0) {
    // A new process serves on the sockets and told systemd it is the main process now: no
    // STOPPING=1 from here, or systemd would stop the service.
    spread_close_after_handover([&] {
      signals_io.restart();
      signals_io.run_for(std::chrono::milliseconds(100));
      return received != 0;
    });
    drain_and_stop();
    return 0;
  }
  report_to_systemd("STOPPING=1");
  spdlog::info("received {}; draining for up to {} ms", received == SIGINT ? "SIGINT" : "SIGTERM",
               drain_timeout_ms_.load(std::memory_order_relaxed));
  drain_and_stop();
  return 0;
}

// A unit with Type=notify waits for READY=1; failing to tell it is logged, never fatal.
void Process::report_to_systemd(const std::string& state) {
  if (!notify_systemd(state)) {
    spdlog::warn("could not tell systemd {} through NOTIFY_SOCKET",
                 state.substr(0, state.find('\n')));
  }
}

// SIGHUP: the reload every trigger does (process_reload.cpp: the configuration, the secrets it
// names, the TLS files), and with IAM a fresh token (FUNNEL RELOAD and POST /reload run on a
// worker or the admin thread, which must not wait for the credential sources' HTTP calls).
void Process::reload() {
  const ReloadReport report = reload_from("SIGHUP");
  if (report.ok) spdlog::info("SIGHUP: {}", report.text);
  if (!iam_auth_) return;
  try {
    iam_auth_->renew();
    spdlog::info("SIGHUP: a new IAM token made; new backend links use it");
  } catch (const aws::CredentialError& error) {
    spdlog::error("SIGHUP: {}; keeping the previous IAM token", error.what());
  }
}

void Process::drain_and_stop() {
  ready_ = false;
  for (auto& worker : workers_) worker->begin_drain();
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(drain_timeout_ms_.load(std::memory_order_relaxed));
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
  if (near_cache_tracker_ != nullptr) near_cache_tracker_->stop();
  control_->stop();
  for (auto& worker : workers_) worker->stop();
  for (auto& worker : workers_) worker->join();
  pubsub_hub_->stop();
  if (admin_) admin_->stop();
  spdlog::info("stopped");
}

}  // namespace funnel::server

namespace funnel::server {

metrics::ExpositionInput Process::exposition() const {
  metrics::ExpositionInput in;
  in.version = kFunnelVersion;
  in.workers = config_.server.workers;
  in.clients_connected = metrics::ProcessCounters::read(counters_.clients_connected);
  in.max_clients = max_clients_.load(std::memory_order_relaxed);  // the reloaded value
  in.max_pinned = max_pinned_.load(std::memory_order_relaxed);    // the reloaded value
  in.invariant_failures = common::invariant_failures();
  in.process = &counters_;
  for (const auto& worker : workers_) in.worker_metrics.push_back(&worker->metrics());
  in.command_names = command::command_id_names();
  if (hotkeys_ != nullptr && hotkeys_->sample_every() > 0) in.hot_keys = hotkeys_->top(10);
  if (near_cache_guard_ != nullptr)
    in.near_cache_invalidations = near_cache_guard_->invalidations();
  metrics::BackendState backend;
  backend.address = control_->current()->address;
  backend.up = control_->backend_up();
  backend.last_error = control_->last_error();
  backend.shared_links_ready = metrics::ProcessCounters::read(counters_.backend_links_ready);
  backend.control_links = backend.up ? 1 : 0;
  const PubsubHubStats& pubsub = pubsub_hub_->stats();
  backend.subscriber_links = pubsub.link_up.load(std::memory_order_relaxed) ? 1 : 0;
  in.pubsub.channels = pubsub.subscribed[0].load(std::memory_order_relaxed);
  in.pubsub.patterns = pubsub.subscribed[1].load(std::memory_order_relaxed);
  in.pubsub.shard_channels = pubsub.subscribed[2].load(std::memory_order_relaxed);
  in.pubsub.messages_received = pubsub.messages_received.load(std::memory_order_relaxed);
  in.backends.push_back(std::move(backend));
  if (config_.topology.multi_node()) {
    for (const topology::NodeStatus& node : control_->nodes()) {
      metrics::NodeState state;
      state.node_id = node.node_id;
      state.address = node.address.to_string();
      state.role = node.role == routing::Role::kPrimary   ? "primary"
                   : node.role == routing::Role::kReplica ? "replica"
                                                          : "unknown";
      state.reachable = node.reachable;
      state.readable = node.readable;
      state.reason = node.reason;
      state.offset = node.offset;
      state.lag_bytes = node.lag_bytes;
      state.zone = node.zone;
      state.local_zone = !config_.server.zone.empty() && node.zone == config_.server.zone;
      in.nodes.push_back(std::move(state));
    }
    in.failovers = control_->current()->failovers;
  }
  return in;
}

AdminResponse Process::admin_request(bool post, const std::string& path, const std::string& query) {
  const auto text = [](int status, std::string body) {
    return AdminResponse{status, "text/plain; charset=utf-8", std::move(body)};
  };
  if (path == "/pause" || path == "/resume" || path == "/reload") {
    if (!post) return text(405, "use POST " + path + "\n");
    if (path == "/reload") {
      const ReloadReport report = reload_and_wait("POST /reload");
      return text(!report.ok ? 400 : report.late ? 503 : 200, report.text + "\n");
    }
    return admin_pause(path == "/pause", query);
  }
  if (post) return text(405, "POST is for /pause, /resume and /reload; " + path + " takes GET\n");
  if (path == "/metrics") {
    return AdminResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                         metrics::render_prometheus(exposition()) + pause_metrics() +
                             failover_metrics() + reload_metrics() + admission_metrics()};
  }
  if (path == "/healthz") return text(200, "ok\n");
  // Readiness deliberately ignores the backend: a backend outage must not pull every Funnel out
  // of its load balancer, or clients would get timeouts instead of Funnel's clear errors.
  if (path == "/readyz") return ready_ ? text(200, "ready\n") : text(503, "not ready\n");
  if (path == "/stats") {
    return AdminResponse{200, "application/json", metrics::render_stats_json(exposition())};
  }
  if (path == "/backends") {
    const auto in = exposition();
    bool all_up = true;
    std::string body = "{\"backends\":[";
    for (std::size_t i = 0; i < in.backends.size(); ++i) {
      const auto& b = in.backends[i];
      all_up = all_up && b.up;
      body += fmt::format(
          "{}{{\"address\":\"{}\",\"role\":\"{}\",\"state\":\"{}\","
          "\"shared_links_ready\":{},\"error\":\"{}\"}}",
          i ? "," : "", b.address, b.role, b.up ? "up" : "down", b.shared_links_ready,
          b.up ? "" : b.last_error);
    }
    body += "]";
    if (!in.nodes.empty()) body += ",\"nodes\":" + metrics::nodes_json(in);
    body += "}\n";
    return AdminResponse{all_up ? 200 : 503, "application/json", body};
  }
  return text(404,
              "not found: try /metrics, /healthz, /readyz, /backends or /stats (GET), /pause or "
              "/resume, /reload (POST)\n");
}

}  // namespace funnel::server
