// Settings shared by every backend link of the process (from config::BackendConfig).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.hpp"
#include "common/live_millis.hpp"
#include "metrics/shared_histogram.hpp"
#include "routing/failover_hold.hpp"
#include "routing/pause_gate.hpp"
#include "routing/shard_hold.hpp"
#include "security/backend_user.hpp"
#include "security/script_policy.hpp"
#include "tls/client_tls.hpp"

namespace funnel::backend {

// The user and password Funnel authenticates its links with. Replaced whole when SIGHUP
// re-reads the password file: each link takes the current value when it connects, so new links
// use the new secret and open links keep working.
struct BackendCredentials {
  std::string user;                             // empty: AUTH default user
  std::shared_ptr<const std::string> password;  // null: no AUTH
};

// Thread-safe holder of the current credentials (a mutex, taken once per link connect).
class CredentialSource {
 public:
  explicit CredentialSource(BackendCredentials initial = {})
      : current_(std::make_shared<const BackendCredentials>(std::move(initial))) {}
  std::shared_ptr<const BackendCredentials> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void set(BackendCredentials next) {
    auto value = std::make_shared<const BackendCredentials>(std::move(next));
    std::lock_guard lock(mutex_);
    current_ = std::move(value);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const BackendCredentials> current_;
};

struct NodeAccessTable;  // backend/node_access.hpp

struct LinkSettings {
  std::shared_ptr<CredentialSource> credentials = std::make_shared<CredentialSource>();
  std::shared_ptr<tls::ClientTls> tls;  // null: plain TCP (reloaded on SIGHUP)
  std::string tls_server_name;  // SNI and the name certificates must carry; empty: each node's host
  // Per-node credentials and TLS settings ([[topology.nodes]]); null: every node uses the above.
  std::shared_ptr<const NodeAccessTable> node_access;
  // Changed live by a configuration reload (Process::apply_live); every link reads the current
  // value each time it arms a timer or checks a deadline.
  common::LiveMillis connect_timeout_ms = 2000;
  common::LiveMillis request_timeout_ms = 5000;
  common::LiveMillis stall_timeout_ms = 10000;
  common::LiveMillis backoff_min_ms = 50;
  common::LiveMillis backoff_max_ms = 5000;
  // IAM (backend.iam_reauth_s): a link authenticated this long ago sends AUTH with the current
  // token between requests, before the service's 12-hour connection limit. 0: never.
  common::LiveMillis reauth_after_ms = 0;
  // backend.max_in_flight_per_link (a count, not milliseconds; live too): 0 is no bound. Each
  // link reads it when it writes; `in_flight_waits` counts the writes it held requests back.
  common::LiveMillis max_in_flight_per_link = 0;
  std::shared_ptr<std::atomic<std::uint64_t>> in_flight_waits =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  // How long each request the bound held back waited before it was written (from when its
  // client's request was read), in every worker's links.
  std::shared_ptr<metrics::SharedHistogram> in_flight_wait =
      std::make_shared<metrics::SharedHistogram>();
  // The backend user data links provision and log in as, so the deny list holds inside scripts
  // (security/backend_user.hpp), and the process-wide record of whether that worked. Null: links
  // log in as backend.user only.
  std::shared_ptr<const security::BackendUserSpec> backend_user;
  std::shared_ptr<security::ScriptGate> script_gate;
  // Counts the out-of-band kills that ended a script (SCRIPT KILL / FUNCTION KILL answered OK),
  // so links refused with BUSY on any worker reconnect at once (BackendLink::retry_after_busy).
  std::shared_ptr<std::atomic<std::uint64_t>> busy_ended =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  // The CLIENT PAUSE a client sent through Funnel (process-wide): timeouts during PAUSE ALL mean
  // "paused", not "failed"; the planner holds writes during any pause.
  std::shared_ptr<routing::PauseGate> pause_gate = std::make_shared<routing::PauseGate>();
  // The primary failing over (backend.failover_hold_ms): the control thread announces it, the
  // primary's links report going down and up, the sessions hold its requests meanwhile.
  std::shared_ptr<routing::FailoverGate> failover_gate = std::make_shared<routing::FailoverGate>();
  // Cluster mode: the shard primaries that are down (routing/shard_hold.hpp): their links report
  // going down and up, the cluster monitor refreshes fast while one is, sessions hold meanwhile.
  std::shared_ptr<routing::ShardHoldGate> shard_hold_gate =
      std::make_shared<routing::ShardHoldGate>();
};

}  // namespace funnel::backend
