// The process-wide pub/sub hub: one subscriber link per backend node for the whole process
// (funnel:subscriber:0), each channel / pattern / shard channel subscribed there once while any
// client of any worker wants it, and messages fanned out to the workers that want them, one post
// per batch per worker. Runs on its own thread (see docs/architecture.md, "Pub/sub", for why).
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backend/backend_link.hpp"
#include "backend/link_ping.hpp"
#include "backend/pubsub_protocol.hpp"
#include "client/pubsub_counts.hpp"
#include "client/subscriptions.hpp"

namespace funnel::server {

using backend::PubsubKind;

// One change of a worker's interest, sent to the hub in batches.
struct InterestChange {
  PubsubKind kind;
  bool want;  // true: the worker's first subscriber arrived; false: its last one left
  std::string name;
};

// Gauges and counters the metrics scraper reads (relaxed loads; written by the hub thread).
struct PubsubHubStats {
  std::array<std::atomic<std::int64_t>, 3> subscribed{};  // confirmed on the backend, per kind
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> link_connects{0};
  std::atomic<bool> link_up{false};
};

class PubsubHub final : public backend::ReplySink,
                        public backend::LinkObserver,
                        public backend::PushSink {
 public:
  // `deliver` runs on the hub thread and must hand the batch to worker `w` (a post).
  using Deliver = std::function<void(unsigned worker, client::PubsubDelivery batch)>;

  PubsubHub(const backend::LinkSettings& settings, unsigned workers, Deliver deliver);
  ~PubsubHub() override;

  // Starts the hub thread. The link itself connects on the first subscription.
  void start(backend::SnapshotPtr snapshot);
  void stop();
  // Thread-safe (posted): a new backend snapshot; a new epoch (failover) replaces the link.
  void publish(backend::SnapshotPtr snapshot);
  // Thread-safe (posted): a batch of interest changes from one worker, applied in order.
  void accept_changes(unsigned worker, std::vector<InterestChange> changes);
  const PubsubHubStats& stats() const { return stats_; }
  // The process's subscriptions by name, for PUBLISH's count (thread-safe).
  client::PubsubCounts& counts() { return counts_; }

  // backend::ReplySink: nothing is tracked on the subscriber link.
  void deliver(const backend::ReplyTarget&, std::string_view,
               const backend::ReplyTiming&) override {}
  // backend::LinkObserver
  void on_link_ready(backend::BackendLink& link, const backend::HandshakeResult&) override;
  void on_link_down(backend::BackendLink& link, std::string_view reason) override;
  void on_link_readonly(backend::BackendLink&, std::string_view, const backend::ReplyTarget&,
                        common::Millis, std::string_view) override {}
  void on_link_retired(backend::BackendLink& link) override;
  // backend::PushSink
  void on_push(backend::BackendLink& link, std::string_view reply, resp::ReplyKind kind) override;

 private:
  struct Interest {
    std::vector<std::uint8_t> workers;  // 1 for each worker that has local subscribers
    unsigned count = 0;                 // workers with local subscribers
    unsigned pending = 0;               // SUBSCRIBEs sent and not yet confirmed
    bool asked = false;                 // the last command sent for it was SUBSCRIBE
    bool live = false;                  // confirmed on the current connection, still wanted
    // Cluster mode, shard channels: the node id of the primary it was subscribed on (0: the
    // main link), and SUNSUBSCRIBEs of ours not yet confirmed (so a confirmation of ours is not
    // taken for the node's own sunsubscribe when a slot moves).
    std::uint32_t node = 0;
    unsigned unsub_pending = 0;
  };
  struct Hash {  // transparent: a message's key is looked up without copying it
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Interest, Hash, std::equal_to<>>;

  void want(unsigned worker, PubsubKind kind, const std::string& name);
  void unwant(unsigned worker, PubsubKind kind, const std::string& name);
  void forget_backend_state(std::uint32_t node = 0);
  void replace_link(std::string_view why);
  void schedule_health_check();
  void check_health();
  void check_ping(std::uint32_t node, common::Millis now);
  backend::LinkPing& ping_of(std::uint32_t node) { return node == 0 ? ping_ : shard_pings_[node]; }
  void on_confirmed(PubsubKind kind, std::string_view name);
  void on_message(PubsubKind kind, std::string_view key, std::string_view push);
  void set_live(PubsubKind kind, Interest& interest, bool live);
  void send(PubsubKind kind, bool subscribe, const std::vector<std::string_view>& names);
  void ensure_link();
  bool link_ready() const;
  void replay(backend::BackendLink& link, std::uint32_t node);
  // Cluster mode (pubsub_hub_shards.cpp, issue #16): shard channels on a link per primary.
  bool cluster_mode() const { return snapshot_ && snapshot_->cluster != nullptr; }
  std::uint32_t owner_node(PubsubKind kind, std::string_view name) const;
  backend::BackendLink* link_to(std::uint32_t node);        // opens it if needed; null: none
  backend::BackendLink* existing_link(std::uint32_t node);  // null: not open
  bool node_of(const backend::BackendLink& link, std::uint32_t& node) const;
  void on_shards_changed();
  void on_dropped(PubsubKind kind, std::string_view name);
  void on_shard_moved(std::uint32_t node);
  void replace_shard_link(std::uint32_t node, std::string_view why);
  void ask_unasked_shard_channels();
  void ask(PubsubKind kind, Interest& interest, std::string_view name);
  void queue(unsigned worker, bool confirm, PubsubKind kind, std::string_view key,
             std::string_view push);
  void schedule_flush();
  void flush();
  Map& map(PubsubKind kind) { return maps_[static_cast<std::size_t>(kind)]; }

  const backend::LinkSettings& settings_;
  const unsigned workers_;
  Deliver deliver_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<Executor>> work_;
  std::thread thread_;
  backend::SnapshotPtr snapshot_;
  std::shared_ptr<backend::BackendLink> link_;
  // Cluster mode: the shard channels' links, by the primary's node id (funnel:subscriber:shard:N).
  std::unordered_map<std::uint32_t, std::shared_ptr<backend::BackendLink>> shard_links_;
  std::vector<std::shared_ptr<backend::BackendLink>> retiring_;
  std::array<Map, 3> maps_;
  std::vector<client::PubsubDelivery> outgoing_;  // per worker
  bool flush_posted_ = false;
  // Health: a link that only receives would never notice a backend that stopped answering
  // (a half-open connection), so the hub PINGs each one, the main link and every shard link,
  // and replaces it when no reply comes (backend/link_ping.hpp).
  SteadyTimer health_timer_{io_.get_executor()};
  backend::LinkPing ping_;
  std::unordered_map<std::uint32_t, backend::LinkPing> shard_pings_;  // by node, as shard_links_
  PubsubHubStats stats_;
  client::PubsubCounts counts_;
};

// A worker's side of the hub: collects the worker's interest changes and sends them in one post
// per event-loop round. Lives on (and is called on) the worker's thread.
class PubsubPort final : public client::PubsubBus {
 public:
  PubsubPort(asio::io_context& worker_io, unsigned worker, PubsubHub& hub)
      : io_(worker_io), worker_(worker), hub_(hub) {}
  void want(PubsubKind kind, std::string_view name) override { add(kind, true, name); }
  void unwant(PubsubKind kind, std::string_view name) override { add(kind, false, name); }

 private:
  void add(PubsubKind kind, bool want, std::string_view name);

  asio::io_context& io_;
  unsigned worker_;
  PubsubHub& hub_;
  std::vector<InterestChange> changes_;
  bool posted_ = false;
};

}  // namespace funnel::server
