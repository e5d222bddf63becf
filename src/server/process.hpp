// The whole proxy: configuration, the control thread, the workers, shutdown. main() builds one.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/database_pools.hpp"
#include "backend/link_settings.hpp"
#include "client/peer_workers.hpp"
#include "client/session_context.hpp"
#include "config/config.hpp"
#include "metrics/exposition.hpp"
#include "metrics/process_counters.hpp"
#include "routing/near_cache_store.hpp"
#include "server/admin_http.hpp"
#include "server/backend_auth.hpp"
#include "server/control.hpp"
#include "server/iam_auth.hpp"
#include "server/near_cache_tracker.hpp"
#include "server/pubsub_hub.hpp"
#include "server/takeover.hpp"
#include "server/worker.hpp"
#include "tls/server_tls.hpp"

namespace funnel::server {

// Shared with the reload (process_reload.cpp): the AUTH throttle's bounds, and whether a down
// link to the primary means an expected failover (another node can be promoted).
security::ThrottleSettings throttle_settings_from(const config::AuthConfig& auth);
bool replaceable_primary(const config::Config& config);

class Process final : public client::AdminView, public client::PeerWorkers {
 public:
  explicit Process(config::Config config);
  ~Process() override;

  // Runs until SIGTERM/SIGINT and the drain that follows. Returns the exit code.
  int run();

  const config::Config& config() const { return config_; }
  const backend::LinkSettings& link_settings() const { return link_settings_; }
  metrics::ProcessCounters& counters() { return counters_; }
  const client::ProcessFacts& facts() const { return facts_; }
  std::shared_ptr<const security::UserDirectory> users() const { return users_; }
  security::AuthThrottle& auth_throttle() { return auth_throttle_; }
  // Users kept in the backend (auth.users_from_backend); null when off.
  client::BackendUserCheck* backend_users() const { return backend_auth_.get(); }
  // Client TLS (tls.cert_file set); null otherwise. Thread-safe.
  tls::ServerTls* server_tls() const { return server_tls_.get(); }
  Worker& worker(unsigned index) { return *workers_[index]; }
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
  Control& control() { return *control_; }
  PubsubHub& pubsub_hub() { return *pubsub_hub_; }
  // Read routing (topology.read_policy, topology.read_your_writes) and the process-wide write
  // watermark the workers share for read-your-writes across connections.
  routing::ReadPolicy read_policy() const { return read_policy_; }
  client::ReadYourWrites read_your_writes() const { return read_your_writes_; }
  client::WriteWatermark& write_watermark() { return *write_watermark_; }
  routing::NearCacheGuard* near_cache_guard() { return near_cache_guard_.get(); }
  // Worker `from` stored a near-cache entry: every other worker stores a copy (on its thread).
  void share_near_cache_entry(unsigned from, routing::SharedEntry entry);
  client::BlockingOrder& blocking_order() { return *blocking_order_; }
  // Cluster mode: each shard primary's pinned-link budget (backend/cluster_pinned_pools.hpp).
  backend::PinBudgets& pin_budgets() { return pin_budgets_; }
  std::uint64_t next_client_id() { return next_client_id_.fetch_add(1, std::memory_order_relaxed); }

  // Everything the metrics renderings need, read from all threads (relaxed loads). Thread-safe.
  metrics::ExpositionInput exposition() const;
  // client::AdminView: FUNNEL STATS | POOLS | CLIENTS.
  std::string funnel_report(std::string_view subcommand) override;
  // FUNNEL RELOAD (process_reload.cpp): `done` is posted to `io` once every worker has applied
  // the reload, or after kReloadApplyBoundMs with `late` set. Thread-safe.
  void reload_config(asio::io_context& io, std::function<void(ReloadReport)> done) override;
  // The command line to parse again on reload (the --config file is re-read). Before run().
  void set_reload_args(std::vector<std::string> args) { reload_args_ = std::move(args); }
  // funnel --takeover: serve on the running Funnel's listening sockets (server/takeover.hpp)
  // instead of binding. Before run().
  void set_takeover(bool takeover) { takeover_ = takeover; }
  // client::PeerWorkers: the workers' ReplyRouters post their batches to each other through the
  // process, and report to the control thread. Thread-safe.
  void post_requests(unsigned worker, client::HandoffBatch&& batch) override;
  void post_replies(unsigned worker, client::ReplyBatch&& batch) override;
  void request_reresolve(std::uint64_t epoch_seen) override;
  void report_node_failure(std::uint32_t node, std::string reason) override;
  void request_cluster_refresh() override;

 private:
  // Takeover (process_takeover.cpp): the new side opens its listeners from the old one's and
  // confirms; the old side listens for a new one, hands over, spawns one on SIGUSR2.
  void open_listeners();
  int take_admin_fd();
  void finish_takeover();
  void listen_for_takeover(asio::io_context& io);
  ListenerSet listeners_to_hand_over();
  void hand_over();
  void spread_close_after_handover(const std::function<bool()>& run_signals_for_100ms);
  void spawn_takeover();
  void reap_takeover();
  void drain_and_stop();
  void reload();
  void report_to_systemd(const std::string& state);
  void warn_if_backlog_small() const;  // accept smoothing needs room in the listen backlog
  AdminResponse admin_request(bool post, const std::string& path, const std::string& query);
  // POST /pause?timeout_ms=N and POST /resume: FUNNEL PAUSE and RESUME for the admin listener.
  AdminResponse admin_pause(bool pause, const std::string& query);
  std::string pause_metrics() const;
  std::string failover_metrics() const;  // the failover hold's gauges (process_pause.cpp)
  std::string reload_metrics() const;
  std::string admission_metrics();  // per-user limits and in-flight waits (admission_metrics.cpp)
  // The reload of every trigger ("SIGHUP", "FUNNEL RELOAD", "POST /reload": log lines say which).
  // With `barrier`, the report is also stored in it and every worker sent the snapshot arrives
  // at it once applied (its `done` makes the reply).
  ReloadReport reload_from(std::string_view trigger, const ReloadBarrierPtr& barrier = nullptr);
  // POST /reload: the admin thread waits for the workers (at most kReloadApplyBoundMs).
  ReloadReport reload_and_wait(std::string_view trigger);
  ReloadReport reload_config_locked(const ReloadBarrierPtr& barrier);
  void apply_link_timeouts();
  void apply_live(const std::vector<std::string>& live,
                  std::shared_ptr<const security::UserDirectory> users,
                  const ReloadBarrierPtr& barrier);
  std::string reload_tls_files();
  // TLS keys that name other files (reload_diff.cpp: live while TLS stays on): loaded and checked
  // before anything is applied, adopted with the other live keys.
  struct TlsFiles {
    std::shared_ptr<boost::asio::ssl::context> server;   // client TLS; null: unchanged
    std::shared_ptr<boost::asio::ssl::context> backend;  // backend TLS; null: unchanged
  };
  std::string load_tls_files(const std::vector<std::string>& live, const config::Config& next,
                             TlsFiles& files) const;
  void adopt_tls_files(TlsFiles& files);

  const config::Config config_;
  backend::LinkSettings link_settings_;
  metrics::ProcessCounters counters_;
  std::unique_ptr<backend::DatabasePools> database_pools_;
  std::unique_ptr<client::SlowLog> slowlog_;  // before facts_, which points at it
  std::unique_ptr<client::HotKeys> hotkeys_;  // FUNNEL HOTKEYS; null when off
  client::ProcessFacts facts_;
  std::shared_ptr<const security::UserDirectory> users_;
  security::AuthThrottle auth_throttle_;
  std::unique_ptr<tls::ServerTls> server_tls_;
  routing::ReadPolicy read_policy_ = routing::ReadPolicy::kPrimary;
  client::ReadYourWrites read_your_writes_ = client::ReadYourWrites::kOff;
  std::unique_ptr<client::WriteWatermark> write_watermark_;
  std::unique_ptr<client::BlockingOrder> blocking_order_;  // blocking commands, arrival order
  backend::PinBudgets pin_budgets_;                        // cluster shards' pinned links
  // The near cache's shared generations (shield.near_cache; null when off): before the workers.
  std::unique_ptr<routing::NearCacheGuard> near_cache_guard_;
  std::unique_ptr<Control> control_;
  // Its tracking link, on control_'s thread: destroyed before control_.
  std::unique_ptr<NearCacheTracker> near_cache_tracker_;
  // IAM tokens for the links (backend.iam_user); destroyed before control_, whose loop runs it.
  std::unique_ptr<IamAuth> iam_auth_;
  // auth.users_from_backend; runs on control_'s loop, so destroyed before it.
  std::unique_ptr<BackendAuth> backend_auth_;
  std::unique_ptr<PubsubHub> pubsub_hub_;  // outlives the workers, which post to it
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::uint64_t> next_client_id_{1};
  std::atomic<bool> ready_{false};  // listening and not draining (/readyz)
  std::unique_ptr<AdminHttp> admin_;
  // Reload: the command line, what runs now (config_ plus the live keys applied since), one
  // reload at a time (SIGHUP, FUNNEL RELOAD on a worker, POST /reload on the admin thread).
  std::vector<std::string> reload_args_;
  std::mutex reload_mutex_;
  std::unique_ptr<config::Config> applied_;  // guarded by reload_mutex_
  std::string reload_trigger_;               // guarded by reload_mutex_
  std::atomic<std::uint64_t> reloads_applied_{0};
  std::atomic<std::uint64_t> reloads_invalid_{0};
  std::atomic<std::uint32_t> drain_timeout_ms_{0};      // server.drain_timeout_ms, live
  std::atomic<std::uint32_t> max_clients_{0};           // server.max_clients in force (metrics)
  std::atomic<std::uint32_t> max_pinned_{0};            // backend.max_pinned in force (metrics)
  std::atomic<std::uint32_t> connections_per_node_{0};  // in force (FUNNEL POOLS)
  // Takeover (process_takeover.cpp).
  bool takeover_ = false;     // started with --takeover
  bool handed_over_ = false;  // this process gave its sockets to a new one
  std::unique_ptr<TakeoverClient> takeover_client_;
  std::unique_ptr<TakeoverListener> takeover_listener_;
  std::string executable_;  // this binary's path at start (SIGUSR2 runs what is there then)
  pid_t spawned_ = -1;      // the process SIGUSR2 started, until reaped
};

}  // namespace funnel::server
