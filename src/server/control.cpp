// Control thread: address resolution, the control link (COMMAND, version, health) and snapshot
// publication. Nothing here runs on a worker's loop.
#include "server/control.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backend/handshake.hpp"

namespace funnel::server {
namespace {
using asio::redirect_error;
using asio::use_awaitable;
constexpr auto kHealthInterval = std::chrono::seconds(2);
constexpr auto kRetryInterval = std::chrono::seconds(1);
// After READONLY, how long the monitor has to find another primary before the links to the
// same one are replaced anyway.
constexpr auto kReadonlyFallback = std::chrono::milliseconds(300);

// Built outside the coroutines: GCC 12 miscompiles brace-initialised string-literal lists there.
const std::string& command_request() {
  static const std::string request = backend::encode_command({"COMMAND"});
  return request;
}
const std::string& ping_request() {
  static const std::string request = backend::encode_command({"PING"});
  return request;
}

asio::awaitable<void> sleep_for(SteadyTimer& timer, std::chrono::milliseconds duration) {
  timer.expires_after(duration);
  boost::system::error_code ec;
  co_await timer.async_wait(redirect_error(use_awaitable, ec));
}
}  // namespace

Control::Control(const config::Config& config, const backend::LinkSettings& settings,
                 Publisher publish)
    : config_(config),
      settings_(settings),
      publish_(std::move(publish)),
      link_(io_, settings, "funnel:control:0"),
      failover_watch_(config.backend.failover_hold_ms),
      readonly_fallback_(io_.get_executor()) {
  backend::BackendSnapshot initial;
  if (config_.backend.address) {
    initial.address = config_.backend.address->to_string();
    initial.host = config_.backend.address->host;
  } else {
    initial.address = "(primary not known yet)";
  }
  initial.resolve_error = "the primary is not known yet";
  initial.commands = command::CommandTable::builtin();
  current_ = std::make_shared<const backend::BackendSnapshot>(std::move(initial));
  monitor_ = std::make_unique<topology::TopologyMonitor>(
      io_, config_, settings_, [this](const topology::TopologyView& view) {
        if (monitor_generation_ == 0) on_view(view);  // until a reload replaces this monitor
      });
  monitor_->set_event_hook([this](const topology::SentinelEvent& event) {
    if (monitor_generation_ == 0) on_sentinel_event(event);
  });
  if (config_.cluster.enabled()) {
    cluster_ = std::make_shared<topology::ClusterMonitor>(
        io_, config_, settings_,
        [this](const topology::ClusterView& view) { on_cluster_view(view); },
        [this](const std::string& error) { on_cluster_error(error); });
  }
}

Control::~Control() {
  stop();
}

void Control::set_health(bool up, std::string error) {
  std::lock_guard lock(mutex_);
  last_error_ = std::move(error);
  up_.store(up, std::memory_order_relaxed);
}

std::string Control::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

backend::SnapshotPtr Control::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void Control::publish(backend::BackendSnapshot next) {
  auto snapshot = std::make_shared<const backend::BackendSnapshot>(std::move(next));
  {
    std::lock_guard lock(mutex_);
    current_ = snapshot;
  }
  if (publish_) publish_(snapshot);
}

namespace {
std::string address_text(const topology::NodeStatus& node) {
  return node.address.to_string();
}
}  // namespace

void Control::on_view(const topology::TopologyView& view) {
  backend::BackendSnapshot next = *current();
  if (next.cluster) {  // the slot map says where the primaries are (control_cluster.cpp)
    std::lock_guard lock(mutex_);
    nodes_ = view.nodes;
    return;
  }
  bool changed = false;
  bool confirmed = false;  // a new primary, confirmed by its ROLE: the failover hold ends
  if (const topology::NodeStatus* primary = view.primary_node()) {
    const bool moved = primary->node_id != primary_node_id_ || primary->endpoints != next.endpoints;
    if (moved && !primary->endpoints.empty()) {
      if (!next.endpoints.empty()) {
        spdlog::info("primary is now {} ({})", address_text(*primary),
                     primary->endpoints.front().address().to_string());
      }
      primary_node_id_ = primary->node_id;
      next.primary_node_id = primary->node_id;
      next.address = address_text(*primary);
      next.host = primary->address.host;
      next.endpoints = primary->endpoints;
      next.resolve_error.clear();
      ++next.epoch;
      link_.close();  // reload the command table from the new primary
      changed = true;
      confirmed = true;
    }
  }
  if (next.endpoints.empty()) {
    // Keep serving a known primary; without one, say why there is none.
    const topology::NodeStatus* primary = view.primary_node();
    std::string why = primary != nullptr && !primary->reason.empty() ? primary->reason : view.error;
    if (!why.empty() && why != next.resolve_error) {
      next.resolve_error = std::move(why);
      changed = true;
    }
  }

  std::vector<backend::ReplicaNode> replicas;
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    const topology::NodeStatus& node = view.nodes[i];
    if (view.primary && *view.primary == i) continue;
    if (node.node_id == next.primary_node_id && !next.endpoints.empty()) continue;
    auto it = std::find_if(node_epochs_.begin(), node_epochs_.end(),
                           [&](const NodeEpoch& e) { return e.node_id == node.node_id; });
    if (it == node_epochs_.end()) {
      node_epochs_.push_back(NodeEpoch{node.node_id, node.endpoints, 1});
      it = node_epochs_.end() - 1;
    } else if (it->endpoints != node.endpoints) {
      it->endpoints = node.endpoints;
      ++it->epoch;
    }
    // Reuse the node's link snapshot while nothing about its address changed.
    std::shared_ptr<const backend::BackendSnapshot> links;
    for (const auto& old : next.replicas) {
      if (old.node_id == node.node_id && old.links->epoch == it->epoch) links = old.links;
    }
    if (!links) {
      backend::BackendSnapshot node_links;
      node_links.epoch = it->epoch;
      node_links.address = address_text(node);
      node_links.host = node.address.host;
      node_links.endpoints = node.endpoints;
      if (node.endpoints.empty()) node_links.resolve_error = node.reason;
      node_links.commands = next.commands;
      links = std::make_shared<const backend::BackendSnapshot>(std::move(node_links));
    }
    const bool readable = node.readable && node.role == routing::Role::kReplica;
    const bool local = !config_.server.zone.empty() && node.zone == config_.server.zone;
    replicas.push_back(backend::ReplicaNode{node.node_id, std::move(links), readable, local});
  }
  const auto same_replicas = [](const std::vector<backend::ReplicaNode>& a,
                                const std::vector<backend::ReplicaNode>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].node_id != b[i].node_id || a[i].links != b[i].links ||
          a[i].readable != b[i].readable || a[i].local_zone != b[i].local_zone) {
        return false;
      }
    }
    return true;
  };
  if (!same_replicas(replicas, next.replicas)) {
    next.replicas = std::move(replicas);
    ++next.health_epoch;
    changed = true;
  }
  if (next.failovers != view.failovers) {
    next.failovers = view.failovers;
    changed = true;
  }
  // (A reload's new monitor has a board of its own, and read_your_writes may have been turned
  // on or off: compared, not only set once.)
  const config::Config& sources = sources_.empty() ? config_ : *sources_.back();
  const auto offsets = sources.topology.read_your_writes != "off" ? monitor_->offsets() : nullptr;
  if (next.offsets != offsets) {
    next.offsets = offsets;
    changed = true;
  }
  {
    std::lock_guard lock(mutex_);
    nodes_ = view.nodes;
  }
  const std::uint64_t epoch = next.epoch;
  if (changed) publish(std::move(next));
  // After publish: workers still on the old snapshot keep holding. Not with the hold off, where
  // a request in that window goes to the old links as before (and may meet READONLY there).
  if (confirmed && settings_.failover_gate->hold_ms() > 0) {  // live: a reload may change it
    failover_watch_.primary_confirmed();
    settings_.failover_gate->confirm(epoch);
  }
}

void Control::on_sentinel_event(const topology::SentinelEvent& event) {
  if (event.signal == routing::FailoverSignal::kNone || !event.master) return;
  // Only news about the primary the workers use now: another sentinel's late +switch-master
  // about a primary already replaced must not hold the new one's requests.
  if (event.master->to_string() != current()->address) return;
  const common::Millis now = common::coarse_now_ms();
  const bool was_holding = failover_watch_.hold_until(now) != 0;
  failover_watch_.set_window(settings_.failover_gate->hold_ms());  // backend.failover_hold_ms
  failover_watch_.hear(event.signal, now);
  const common::Millis until = failover_watch_.hold_until(now);
  settings_.failover_gate->announce(until);
  if (until != 0 && !was_holding) {
    spdlog::warn("primary {} is failing over (Sentinel): holding its requests up to {} ms",
                 current()->address, settings_.failover_gate->hold_ms());
  }
}

void Control::force_new_epoch(std::uint64_t epoch_seen) {
  backend::BackendSnapshot next = *current();
  if (next.epoch != epoch_seen) return;  // the monitor moved the primary already
  spdlog::warn("READONLY from {} and no other primary found: reconnecting to it", next.address);
  ++next.epoch;
  link_.close();
  publish(std::move(next));
}

std::vector<topology::NodeStatus> Control::nodes() const {
  std::lock_guard lock(mutex_);
  return nodes_;
}

asio::awaitable<bool> Control::refresh_from_control_link() {
  const backend::SnapshotPtr snapshot = current();
  const std::string error = co_await link_.open(*snapshot);
  if (!error.empty()) {
    if (backend_up() || last_error() != error) {
      spdlog::warn("backend {} control link: {}", snapshot->address, error);
    }
    set_health(false, error);
    co_return false;
  }
  set_health(true, {});
  std::string call_error;
  auto reply = co_await link_.call(command_request(), call_error);
  backend::BackendSnapshot next = *current();
  next.redis_version = link_.redis_version();
  if (reply && !reply->is_error()) {
    std::string table_error;
    if (auto table = command::CommandTable::from_command_reply(*reply, &table_error)) {
      next.commands = std::move(table);
    } else {
      spdlog::warn("backend {}: COMMAND reply not understood ({}); keeping the built-in table",
                   snapshot->address, table_error);
    }
  } else {
    spdlog::warn("backend {}: COMMAND failed ({}); keeping the built-in table", snapshot->address,
                 reply ? reply->str : call_error);
  }
  spdlog::info("backend {}: redis {} with {} commands", snapshot->address, next.redis_version,
               next.commands->size());
  const auto table = next.commands;
  publish(std::move(next));
  co_await probe_backend_user(table.get());
  co_return true;
}

// Before any client request: does the backend let Funnel provision its backend user (the data
// links do it again on every connect)? The answer decides whether scripts may run.
asio::awaitable<void> Control::probe_backend_user(const command::CommandTable* table) {
  const auto credentials = backend::credentials_for(settings_, current()->address).get();
  const auto provisioning =
      backend::make_provisioning(settings_.backend_user.get(), settings_.script_gate.get(),
                                 credentials->password.get(), table);
  if (!provisioning) co_return;
  std::vector<std::string_view> args{"ACL", "SETUSER"};
  for (const std::string& arg : provisioning->setuser) args.push_back(arg);
  std::string error;
  const auto reply = co_await link_.call(backend::encode_args(args), error);
  if (!reply) co_return;  // the link failed: the data links will find out themselves
  security::ScriptGate& gate = *settings_.script_gate;
  if (!reply->is_error()) {
    gate.report_enforced();
  } else if (gate.report_refused(reply->str)) {
    spdlog::error(
        "backend {} refused ACL SETUSER ({}): links run as backend.user, so auth.deny_commands "
        "cannot hold inside scripts and Funnel refuses script commands; allow ACL SETUSER for "
        "backend.user or set auth.backend_enforces_deny_list = 1 (docs/security.md#scripts)",
        current()->address, reply->str);
  }
}

backend::SnapshotPtr Control::bootstrap() {
  asio::co_spawn(
      io_,
      [this]() -> asio::awaitable<void> {
        co_await monitor_->first_round();
        if (cluster_) co_await cluster_->refresh();
        if (!current()->endpoints.empty()) {
          co_await refresh_from_control_link();
        }
        // The monitor may have started loops of its own (offset polls): they carry on once
        // start() runs this io_context on the control thread.
        io_.stop();
      },
      asio::detached);
  io_.run();
  io_.restart();
  return current();
}

asio::awaitable<void> Control::control_loop() {
  SteadyTimer timer(io_.get_executor());
  for (;;) {
    if (stopping_) co_return;
    if (!link_.is_open()) {
      // (Two statements: GCC 12 cannot compile a co_await inside ||.)
      bool opened = false;
      if (!current()->endpoints.empty()) opened = co_await refresh_from_control_link();
      if (!opened) {
        co_await sleep_for(timer, std::chrono::milliseconds(kRetryInterval));
        continue;
      }
    }
    co_await sleep_for(timer, std::chrono::milliseconds(kHealthInterval));
    if (stopping_ || !link_.is_open()) continue;
    std::string error;
    auto pong = co_await link_.call(ping_request(), error);
    if (!pong) {
      spdlog::warn("backend {} health check failed: {}", current()->address, error);
      set_health(false, "health check failed: " + error);
    }
  }
}

void Control::start() {
  monitor_->start();
  if (cluster_) cluster_->start();
  asio::co_spawn(io_, control_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void Control::request_reresolve(std::uint64_t epoch_seen) {
  asio::post(io_, [this, epoch_seen] {
    if (epoch_seen < current()->epoch) return;  // already replaced since
    monitor_->refresh_now();
    // Links to the same address are replaced anyway if the refresh finds no other primary soon
    // (a DNS name not yet moved, a primary that is back): the retry then meets the node as it is.
    readonly_fallback_.expires_after(kReadonlyFallback);
    readonly_fallback_.async_wait([this, epoch_seen](boost::system::error_code ec) {
      if (!ec && !stopping_) force_new_epoch(epoch_seen);
    });
  });
}

void Control::set_sources(std::shared_ptr<const config::Config> sources) {
  asio::post(io_, [this, sources = std::move(sources)] {
    if (stopping_) return;
    monitor_->stop();
    stopped_monitors_.push_back(std::move(monitor_));
    sources_.push_back(sources);
    const std::uint64_t generation = ++monitor_generation_;
    monitor_ = std::make_unique<topology::TopologyMonitor>(
        io_, *sources, settings_, [this, generation](const topology::TopologyView& view) {
          if (generation == monitor_generation_) on_view(view);
        });
    monitor_->set_event_hook([this, generation](const topology::SentinelEvent& event) {
      if (generation == monitor_generation_) on_sentinel_event(event);
    });
    monitor_->start();
    spdlog::info("reload: watching the new backend address and topology sources");
  });
}

void Control::report_node_failure(std::uint32_t node_id, std::string reason) {
  asio::post(io_, [this, node_id, reason = std::move(reason)] {
    if (!stopping_) monitor_->report_node_failure(node_id, reason);
  });
}

void Control::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    stopping_ = true;
    readonly_fallback_.cancel();
    monitor_->stop();
    if (cluster_) cluster_->stop();
    link_.close();
    io_.stop();
  });
  thread_.join();
}

}  // namespace funnel::server
