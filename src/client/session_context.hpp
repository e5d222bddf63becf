// What a ClientSession needs from its worker: the backend pool, the current backend snapshot
// (command table, Redis version), configuration, shared buffers and the session registry.
// One per worker; touched only on that worker's thread (counters excepted).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/backend_pool.hpp"
#include "backend/database_pools.hpp"
#include "backend/pinned_pool.hpp"
#include "client/blocking_order.hpp"
#include "client/buffer_pool.hpp"
#include "client/cluster_routes.hpp"
#include "client/hello_reply.hpp"
#include "client/hotkeys.hpp"
#include "client/pubsub_counts.hpp"
#include "client/read_routes.hpp"
#include "client/session_io.hpp"
#include "client/session_slab.hpp"
#include "client/slowlog.hpp"
#include "client/subscriptions.hpp"
#include "command/classify.hpp"
#include "config/config.hpp"
#include "metrics/process_counters.hpp"
#include "metrics/worker_metrics.hpp"
#include "plan/cluster_face.hpp"
#include "resp/request_parser.hpp"
#include "routing/coalesce_rule.hpp"
#include "routing/failover_hold.hpp"
#include "routing/near_cache_rule.hpp"
#include "routing/pause_gate.hpp"
#include "security/auth_throttle.hpp"
#include "security/backend_user_cache.hpp"
#include "security/user_directory.hpp"

namespace funnel::net {
class Poller;
}

namespace funnel::client {

class ClientSession;

// Slab of live sessions with generations, so a reply addressed to a session that has closed
// (and whose slot may be reused) is recognised and dropped.
class SessionRegistry {
 public:
  struct Handle {
    std::uint32_t index;
    std::uint32_t generation;
  };
  Handle add(ClientSession* session);
  void remove(Handle handle);
  ClientSession* find(std::uint32_t index, std::uint32_t generation) const;
  std::size_t size() const { return live_; }
  template <typename Fn>
  void for_each(Fn&& fn) {
    for (auto& slot : slots_) {
      if (slot.session != nullptr) fn(*slot.session);
    }
  }
  // Empties `waiting` (sessions that wait for an event) and calls fn on each that is still live.
  // Taken first: fn may make a session wait again, into the same list.
  template <typename Fn>
  void take_each(std::vector<Handle>& waiting, Fn&& fn) {
    std::vector<Handle> taken;
    taken.swap(waiting);
    for (const Handle& handle : taken) {
      if (ClientSession* session = find(handle.index, handle.generation)) fn(*session);
    }
  }

 private:
  struct Slot {
    ClientSession* session = nullptr;
    std::uint32_t generation = 0;
  };
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

// Keeps one copy of strings that many sessions share (client library names and versions).
// Bounded: past kMaxStrings distinct values, new ones are not kept (the session shows none).
// A session holds a 2-byte id (0: none) rather than a pointer: 12 bytes less per idle client.
class StringInterner {
 public:
  static constexpr std::size_t kMaxStrings = 1024;
  std::uint16_t intern(std::string_view text) {
    if (auto it = strings_.find(text); it != strings_.end()) return it->second;
    if (strings_.size() >= kMaxStrings) return 0;
    by_id_.push_back(&strings_.emplace(std::string(text), by_id_.size() + 1).first->first);
    return static_cast<std::uint16_t>(by_id_.size());
  }
  std::string_view text(std::uint16_t id) const {
    return id == 0 ? std::string_view() : std::string_view(*by_id_[id - 1]);
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint16_t, Hash, std::equal_to<>> strings_;
  std::vector<const std::string*> by_id_;  // id - 1 -> its text (map nodes do not move)
};

// Process-wide figures for Funnel's own admin commands (FUNNEL STATS ...), implemented by the
// server. Called on a worker thread; implementations read other threads' counters only through
// relaxed atomics or under their own locks.
class AdminView {
 public:
  virtual ~AdminView() = default;
  // The reply text for FUNNEL <subcommand> (upper case), or empty for an unknown subcommand.
  virtual std::string funnel_report(std::string_view subcommand) = 0;
  // FUNNEL RELOAD: re-reads the configuration (as SIGHUP does). `ok` false: the file was invalid
  // and nothing changed; `text` says what was applied, what needs a restart, or what is wrong;
  // `late`: applied, but some worker had not applied it within the bound (text says so).
  struct ReloadReport {
    bool ok = false;
    std::string text;
    bool late = false;
  };
  // Runs `done` on the calling worker's thread (posted to `io`) once every worker has applied
  // the reload, so the caller's next command on any connection sees it; or after a bound.
  virtual void reload_config(asio::io_context& /*io*/, std::function<void(ReloadReport)> done) {
    done({false, "reload is not available here"});
  }
};

// Users kept in the backend (auth.users_from_backend), implemented by server::BackendAuth.
class BackendUserCheck {
 public:
  using Done = std::function<void(security::BackendAuthResult)>;
  virtual ~BackendUserCheck() = default;
  // Thread-safe. Checks the password on a control-side connection and reads the user's rules
  // (made into a User against `users`); `done` runs exactly once, on the control thread, within
  // the backend's request timeout or with kUnavailable.
  virtual void check(std::string user, std::string password,
                     std::shared_ptr<const security::UserDirectory> users, Done done) = 0;
  virtual security::BackendUserCache& cache() = 0;
};

// Facts about the whole process that INFO and CLIENT replies show.
struct ProcessFacts {
  unsigned workers = 1;
  unsigned connections_per_node = 1;
  std::string version;  // Funnel's own
  metrics::ProcessCounters* counters = nullptr;
  backend::DatabasePools* databases = nullptr;  // SELECT n: which databases have pools
  SlowLog* slowlog = nullptr;                   // FUNNEL SLOWLOG (null: off)
  HotKeys* hotkeys = nullptr;                   // FUNNEL HOTKEYS (null: off)
};

// Read coalescing (issue #18, shield.coalesce; client/session_coalesce.cpp). Immutable.
struct CoalesceSettings {
  routing::CommandSet commands;  // by command::command_id
  bool unsafe_for_tests = false;
};
// Null when shield.coalesce is off.
std::shared_ptr<const CoalesceSettings> make_coalesce_settings(const config::ShieldConfig& shield);

struct SessionContext {
  SessionContext(asio::io_context& io_context, unsigned worker, const config::Config& cfg,
                 const ProcessFacts& process_facts)
      : io(io_context), worker_index(worker), config(cfg), facts(process_facts) {}

  asio::io_context& io;
  net::Poller* poller = nullptr;  // readiness of this worker's client sockets (never null)
  unsigned worker_index = 0;
  const config::Config& config;
  const ProcessFacts& facts;
  backend::BackendPool* pool = nullptr;
  // The shared pool of the primary serving `slot` (issue #16): `pool` outside cluster mode, for
  // kNoSlot (keyless commands) and for a slot no shard serves (its node answers CLUSTERDOWN).
  backend::BackendPool* pool_for_slot(std::uint16_t slot) const {
    if (slot_map == nullptr) [[likely]]
      return pool;
    const std::uint16_t shard =
        slot == kNoSlot ? routing::SlotMap::kNoShard : slot_map->shard_index(slot);
    return shard < cluster_routes.primaries.size() ? cluster_routes.primaries[shard] : pool;
  }
  // Cluster mode: the current layout's map (null until the first, and outside cluster mode), the
  // pools per shard, and the slot of the request being planned (its first key; kNoSlot: none).
  const routing::SlotMap* slot_map = nullptr;
  ClusterRoutes cluster_routes;
  std::uint16_t request_slot = kNoSlot;
  backend::PinnedPool* pinned = nullptr;  // dedicated links for WATCH and blocking commands
  // The pinned pool of the primary serving `slot` (cluster mode; `pinned` otherwise, for kNoSlot
  // and for a slot no shard serves).
  backend::PinnedPool* pinned_for_slot(std::uint16_t slot) const {
    if (slot_map == nullptr || slot == kNoSlot) [[likely]]
      return pinned;
    const std::uint16_t shard = slot_map->shard_index(slot);
    return shard < cluster_routes.pinned.size() ? cluster_routes.pinned[shard] : pinned;
  }
  ReadRoutes* reads = nullptr;              // where read-only requests may go (never null)
  WriteWatermark* writes = nullptr;         // read-your-writes, process scope (never null)
  BlockingOrder* blocking_order = nullptr;  // blocking commands in arrival order (never null)
  // The process's CLIENT PAUSE record (never null), read once per batch into writes_paused; the
  // sessions whose requests it holds wait in pause_waiters until it ends (resume_pause_waiters).
  routing::PauseGate* pause_gate = nullptr;
  bool writes_paused = false;
  bool holding_all = false;  // a FUNNEL PAUSE holds every request (read with writes_paused)
  std::vector<SessionRegistry::Handle> pause_waiters;
  // The primary failing over (routing/failover_hold.hpp): the gate (never null), read once per
  // batch into failover_hold; held sessions wait in failover_waiters (check_failover_waiters).
  routing::FailoverGate* failover_gate = nullptr;
  bool failover_hold = false;
  std::vector<SessionRegistry::Handle> failover_waiters;
  // Sessions whose blocking command waits for its turn (BlockingOrder) or its new link's
  // handshake: retried by resume_turn_waiters() when either may have changed.
  std::vector<SessionRegistry::Handle> turn_waiters;
  // Copies of reads->active() and reads->read_your_writes() != kOff, refreshed with the snapshot:
  // one byte each for the per-request checks of a single-node Funnel.
  bool route_reads = false;
  bool track_writes = false;
  bool cluster = false;  // cluster.seeds is set: the backend is a Redis Cluster (issue #16)
  std::shared_ptr<const CoalesceSettings> coalesce;  // shield.coalesce; null: off
  NearCache* near_cache = nullptr;  // shield.near_cache (owned by the worker); null: off
  // Bumped when a reload changes connections_per_node (plan::SessionState::pool_layout).
  std::uint8_t pool_layout = 0;
  plan::ClusterAddress cluster_address;  // cluster: what CLUSTER SLOTS & co give for Funnel
  backend::SnapshotPtr snapshot;         // refreshed by the worker between batches
  std::shared_ptr<const security::UserDirectory> users;  // client users and command policy
  security::AuthThrottle* auth_throttle = nullptr;       // process-wide; null: no slowing down
  BackendUserCheck* backend_users = nullptr;             // auth.users_from_backend; null: off
  std::uint64_t backend_users_generation = 0;  // the cache's generation the sessions act on
  resp::RequestParser parser;                  // shared: sessions keep only unparsed bytes
  resp::RequestParser preauth_parser;  // the same, with limits.max_unauthenticated_request_bytes
  command::Classification classification;  // reused per request
  std::string scratch;                     // read buffer for sessions with nothing buffered
  std::string local_reply;                 // reused for locally answered replies
  std::string plan_scratch;                // reused for the error texts the planner builds
  std::string error_reply;                 // reused for answer_error's reply bytes
  HelloReply hello_reply;                  // HELLO's reply bytes, prebuilt
  BufferPool buffers;
  SessionIoPool io_blocks;  // the I/O state of sessions with bytes in flight (session_io.hpp)
  metrics::WorkerMetrics* metrics = nullptr;  // this worker's counters
  AdminView* admin = nullptr;                 // FUNNEL commands; null: refused
  std::int64_t batch_ns = 0;                  // when the current batch of requests was read
  bool per_request_metrics = true;            // admin.metrics
  // funnel_command_duration_seconds' slot by command id (metrics/command_latency.hpp).
  metrics::LatencySlots latency_slots{};
  // Requests until the next hot-key sample (client/hotkeys.hpp); UINT32_MAX when off.
  std::uint32_t hot_key_countdown = UINT32_MAX;
  // FUNNEL SLOWLOG's threshold in nanoseconds (limits.slowlog_slower_than_us); INT64_MAX: off.
  std::int64_t slowlog_above_ns = INT64_MAX;
  SessionRegistry registry;
  SessionSlab session_slab;  // closed sessions' memory, reused by the next accepted client
  StringInterner strings;
  SubscriptionIndex subscriptions;        // this worker's channel -> sessions (pub/sub)
  PubsubBus* pubsub = nullptr;            // the process's hub, as this worker talks to it
  PubsubCounts* pubsub_counts = nullptr;  // the process's, for PUBLISH's count; null: uncorrected
  bool draining = false;
};

// Lets every session in ctx.turn_waiters try its blocking command again (each waits again if it
// still must). Worker thread: on its tick, on a pinned link's readiness, on BlockingOrder's wake.
void resume_turn_waiters(SessionContext& ctx);
// Lets every session held by a CLIENT PAUSE go on, once the pause has ended (each is held again
// if a new pause holds it). Worker thread: on its tick, and after an UNPAUSE this worker sent.
void resume_pause_waiters(SessionContext& ctx);
// The sessions held for the primary's failover: released once `failover_over`, failed past
// their hold deadline, else kept waiting. Worker thread: on its tick and on a new snapshot.
void check_failover_waiters(SessionContext& ctx, bool failover_over, common::Millis now);
// The address Funnel announces in cluster mode (plan/cluster_face.hpp): cluster.announce, or
// server.listen; a wildcard one is sent empty, as Redis sends an address it does not know.
// Views into `config`.
plan::ClusterAddress announced_address(const config::Config& config);

}  // namespace funnel::client
