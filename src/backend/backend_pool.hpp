// The backend links one worker owns, and the rule that maps every client to exactly one link per
// protocol, so a client's requests execute in its own order. The process-wide budget is
// `connections_per_node` shared links per protocol in use: link i belongs to worker
// i % workers; a worker that owns no link hands its requests to the owner of link
// (worker % connections_per_node) instead of opening its own.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend_link.hpp"
#include "backend/script_kill.hpp"
#include "metrics/process_counters.hpp"
#include "metrics/worker_metrics.hpp"

namespace funnel::backend {

// Hand-offs and retries name the pool by node: the primary's pool follows the primary wherever
// it moves; a replica's pool is that node's (topology::NodeStatus::node_id).
inline constexpr std::uint32_t kPrimaryNode = UINT32_MAX;

struct PoolShape {
  unsigned worker = 0;
  unsigned workers = 1;
  unsigned connections_per_node = 1;
  std::uint32_t node = kPrimaryNode;
  // Cluster mode (issue #16): a shard primary's pool is named like the main one
  // (funnel:shared:...); a shard replica's links send READONLY after their handshake.
  bool primary_names = false;
  bool readonly_links = false;
};

// What the pool needs from its worker. Called on the worker's thread.
class PoolEvents {
 public:
  virtual ~PoolEvents() = default;
  // Send a request to the worker that owns link `link_index` (see BackendPool::submit_to_link).
  virtual void hand_off(unsigned owner_worker, std::uint32_t node, resp::Protocol protocol,
                        unsigned link_index, std::string_view request, const ReplyTarget& target,
                        common::Millis deadline, std::uint32_t db) = 0;
  // A read (ReplyTarget::kRetryRead) failed on replica `node` or could not be sent to it: take
  // the node out of this worker's read set and send the read elsewhere.
  // With node_failed false the node is healthy but lacks what the read needs (NOSCRIPT): the
  // read goes to the primary and the node stays in the read set.
  virtual void retry_read(std::uint32_t node, resp::Protocol protocol, std::string_view request,
                          const ReplyTarget& target, common::Millis deadline,
                          std::string_view reason, bool node_failed) = 0;
  // The primary refused a write with READONLY: ask for a fresh resolution and a new epoch.
  virtual void request_reresolve(std::uint64_t epoch_seen) = 0;
  // Cluster mode (issue #16): a redirect or retry-later error answered `request` on a link of
  // the node at `from` ("host:port"); true if the request was taken elsewhere or parked.
  virtual bool redirect(resp::Protocol /*protocol*/, std::string_view /*request*/,
                        const ReplyTarget& /*target*/, common::Millis /*deadline*/,
                        std::string_view /*reply*/, std::string_view /*from*/) {
    return false;
  }
  // A link of this pool was lost (cluster mode: the map may have changed).
  virtual void link_lost(std::uint32_t /*node*/) {}
  // A link of a primary pool (not READONLY) to the node at `address` ("host:port") came up, or
  // went down other than by retirement (cluster mode: the shard failover hold's signal).
  virtual void primary_link(std::string_view /*address*/, bool /*up*/) {}
};

class BackendPool final : public LinkObserver {
 public:
  BackendPool(asio::io_context& io, const LinkSettings& settings, PoolShape shape, ReplySink& sink,
              PoolEvents& events, metrics::ProcessCounters& counters);
  ~BackendPool() override;

  // Opens this worker's RESP2 links (RESP3 links open on first use).
  void start(SnapshotPtr snapshot);
  // A newer snapshot: a higher epoch replaces every link (retiring the old ones gracefully).
  void update_snapshot(SnapshotPtr snapshot);

  // Client path: routes by affinity to this worker's link or hands off to the owner's. `db` picks
  // the database pool (links of a database other than 0 open on first use; the caller admits
  // the database first, see DatabasePools).
  void submit(resp::Protocol protocol, std::uint64_t affinity, std::string_view request,
              const ReplyTarget& target, common::Millis deadline, std::uint32_t db = 0);
  // Owner path: `link_index` must be owned by this worker.
  void submit_to_link(resp::Protocol protocol, unsigned link_index, std::string_view request,
                      const ReplyTarget& target, common::Millis deadline, std::uint32_t db = 0);

  // A reload's connections_per_node, in two steps (pool_resize.cpp): resize() routes this
  // worker's requests by the new count and opens the links it adds; retire_extra_links(), once
  // every worker has resized, drains and closes the links beyond it.
  void resize(unsigned connections_per_node);
  void retire_extra_links();

  void tick(common::Millis now);
  // The worker's counters, handed to every link this pool opens.
  void set_metrics(metrics::WorkerMetrics* metrics) { metrics_ = metrics; }
  void shutdown();

  std::size_t in_flight() const;
  std::size_t links_open() const;
  bool owns(unsigned link_index) const { return link_index % shape_.workers == shape_.worker; }
  unsigned link_for(std::uint64_t affinity) const;

  // LinkObserver
  void on_link_ready(BackendLink& link, const HandshakeResult& handshake) override;
  void on_link_down(BackendLink& link, std::string_view reason) override;
  void on_link_readonly(BackendLink& link, std::string_view request, const ReplyTarget& target,
                        common::Millis deadline, std::string_view reply) override;
  void on_link_retired(BackendLink& link) override;
  bool on_link_redirect(BackendLink& link, std::string_view request, const ReplyTarget& target,
                        common::Millis deadline, std::string_view reply) override;
  bool on_link_read_failed(BackendLink& link, std::string_view request, const ReplyTarget& target,
                           common::Millis deadline, std::string_view reason,
                           bool node_failed) override;

  // The node left the topology: every link stops taking requests and closes once it has
  // answered what it carries. The pool may be destroyed when in_flight() is 0.
  void retire_all();
  // After retire_all(): every link has closed and been dropped (no callback refers to the pool).
  bool fully_retired() const;
  std::uint32_t node() const { return shape_.node; }

 private:
  struct Parked {
    resp::Protocol protocol;
    unsigned link_index;
    std::string request;
    ReplyTarget target;
    common::Millis deadline;
    std::uint32_t db;
  };
  using LinkPtr = std::shared_ptr<BackendLink>;
  using LinkTable = std::array<std::vector<LinkPtr>, 2>;  // [protocol][link index]
  // The links of one database other than 0 (databases_ stays tiny: max_database_pools).
  struct DatabaseLinks {
    std::uint32_t db;
    LinkTable links;
  };

  static std::size_t slot(resp::Protocol protocol) { return protocol == resp::Protocol::kResp3; }
  // Database 0's table inline (every request asks; SELECT'ed databases are rare).
  LinkTable& table(std::uint32_t db) { return db == 0 ? links_ : database_table(db); }
  LinkTable& database_table(std::uint32_t db);
  template <typename Fn>
  void for_each_table(Fn&& fn) {
    fn(std::uint32_t{0}, links_);
    for (auto& database : databases_) fn(database.db, database.links);
  }
  template <typename Fn>
  void for_each_table(Fn&& fn) const {
    fn(std::uint32_t{0}, links_);
    for (const auto& database : databases_) fn(database.db, database.links);
  }
  BackendLink& ensure_link(resp::Protocol protocol, unsigned link_index, std::uint32_t db = 0);
  [[gnu::cold, gnu::noinline]] BackendLink& open_link(resp::Protocol protocol, unsigned link_index,
                                                      std::uint32_t db);
  std::string link_name(resp::Protocol protocol, unsigned link_index, std::uint32_t db) const;
  void replace_all_links();
  void release_parked();
  void deliver_error(const ReplyTarget& target, const std::string& text);
  void send_out_of_band(std::string_view request, const ReplyTarget& target);

  asio::io_context& io_;
  const LinkSettings& settings_;
  PoolShape shape_;
  ReplySink& sink_;
  PoolEvents& events_;
  metrics::ProcessCounters& counters_;
  metrics::WorkerMetrics* metrics_ = nullptr;
  SnapshotPtr snapshot_;
  LinkTable links_;  // database 0: [protocol][link index]; null if not owned/open
  std::vector<DatabaseLinks> databases_;
  std::vector<LinkPtr> retiring_;
  std::vector<Parked> parked_;  // waiting for a new epoch after READONLY
  common::Millis parked_since_ = 0;
  bool awaiting_epoch_ = false;
  std::shared_ptr<ScriptKiller> killer_;  // made on the first out-of-band request
};

}  // namespace funnel::backend
