// TopologyMonitor: the loops, the public API and the listener (the rounds are in
// monitor_round.cpp). See topology_monitor.hpp.
#include "topology/topology_monitor.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "topology/monitor_impl.hpp"
#include "topology/view_change.hpp"

namespace funnel::topology {
namespace {
// refresh_now() and Sentinel events start a round at once, but never closer than this to the
// previous one: a burst of worker reports must not become a burst of health checks.
constexpr auto kMinRoundGap = std::chrono::milliseconds(50);
// Health checks are bounded by the health interval (not the data path's 5 s request timeout), so
// a hung node delays a round by at most about that long.
constexpr common::Millis kMinCheckTimeoutMs = 200;

backend::LinkSettings health_settings(const backend::LinkSettings& base,
                                      const config::TopologyConfig& topology) {
  backend::LinkSettings settings = base;
  const common::Millis cap =
      std::max<common::Millis>(kMinCheckTimeoutMs, topology.health_interval_ms);
  settings.connect_timeout_ms = std::min(settings.connect_timeout_ms.get(), cap);
  settings.request_timeout_ms = std::min(settings.request_timeout_ms.get(), cap);
  return settings;
}
}  // namespace

TopologyMonitor::Impl::Impl(asio::io_context& io_context, const config::Config& cfg,
                            const backend::LinkSettings& link_settings, Listener on_change)
    : io(io_context),
      config(cfg),
      settings(health_settings(link_settings, cfg.topology)),
      listener(std::move(on_change)),
      source(source_kind(cfg)),
      registry(routing::OffsetBoard::kMaxNodes),
      wakeup(io_context) {
  if (source == SourceKind::kSentinel) {
    sentinels = std::make_unique<SentinelClient>(io, config.topology, settings);
  }
  if (config.topology.read_your_writes != "off") {
    poller = std::make_shared<OffsetPoller>(io, settings, board, config.topology.offset_poll_ms);
  }
}

TopologyMonitor::Impl::Clock::duration TopologyMonitor::Impl::round_interval() const {
  auto interval = std::chrono::milliseconds(config.topology.health_interval_ms);
  if (source == SourceKind::kSentinel) {
    interval = std::min(interval, std::chrono::milliseconds(config.topology.sentinel_refresh_ms));
  }
  return interval;
}

void TopologyMonitor::Impl::wake() {
  refresh_requested = true;
  wakeup.cancel();
}

void TopologyMonitor::Impl::publish(bool always) {
  TopologyView next;
  for (const auto& entry : registry.nodes()) {
    if (entry.status.role == routing::Role::kSentinel) continue;  // not a data node
    if (primary_id == entry.status.node_id) next.primary = next.nodes.size();
    next.nodes.push_back(entry.status);
  }
  next.failovers = failovers;
  if (!next.primary) next.error = primary_error;
  const bool changed = always || !reported_once || routing_changed(view, next);
  view = std::move(next);
  if (poller) poller->update(view);
  if (!changed || stopping) return;
  reported_once = true;
  const NodeStatus* primary = view.primary_node();
  spdlog::info("topology: primary {}, {} node(s), {} readable",
               primary != nullptr ? primary->address.to_string() : "none (" + view.error + ")",
               view.nodes.size(),
               std::count_if(view.nodes.begin(), view.nodes.end(),
                             [](const NodeStatus& node) { return node.readable; }));
  if (listener) listener(view);
}

asio::awaitable<void> TopologyMonitor::Impl::loop(std::shared_ptr<Impl> self) {
  while (!stopping) {
    const auto now = Clock::now();
    auto next = last_round_start + round_interval();
    if (refresh_requested) next = std::max(now, last_round_start + kMinRoundGap);
    if (next > now) {
      wakeup.expires_at(next);
      boost::system::error_code ec;
      co_await wakeup.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopping) break;
      if (ec) continue;  // woken by refresh_now(): recompute when to run
    }
    co_await round(std::exchange(refresh_requested, false));
  }
}

asio::awaitable<void> TopologyMonitor::Impl::watch_sentinel(std::shared_ptr<Impl> self,
                                                            std::size_t index) {
  co_await sentinels->watch(index, [this](const SentinelEvent& event) {
    if (stopping) return;
    if (event_hook) event_hook(event);
    wake();
  });
}

TopologyMonitor::TopologyMonitor(asio::io_context& io, const config::Config& config,
                                 const backend::LinkSettings& settings, Listener on_change)
    : impl_(std::make_shared<Impl>(io, config, settings, std::move(on_change))) {}

TopologyMonitor::~TopologyMonitor() {
  stop();
}

asio::awaitable<void> TopologyMonitor::first_round() {
  auto impl = impl_;
  co_await impl->round(true);
}

void TopologyMonitor::start() {
  if (impl_->started) return;
  impl_->started = true;
  asio::co_spawn(impl_->io, impl_->loop(impl_), asio::detached);
  if (impl_->poller) impl_->poller->start();
  if (impl_->sentinels) {
    for (std::size_t i = 0; i < impl_->sentinels->sentinel_count(); ++i) {
      asio::co_spawn(impl_->io, impl_->watch_sentinel(impl_, i), asio::detached);
    }
  }
}

void TopologyMonitor::stop() {
  Impl& impl = *impl_;
  if (impl.stopping) return;
  impl.stopping = true;
  impl.wakeup.cancel();
  for (auto& [id, health] : impl.links) {
    if (health.link) health.link->close();
  }
  if (impl.sentinels) impl.sentinels->stop();
  if (impl.poller) impl.poller->stop();
}

void TopologyMonitor::set_event_hook(EventHook hook) {
  impl_->event_hook = std::move(hook);
}

void TopologyMonitor::refresh_now() {
  if (!impl_->stopping) impl_->wake();
}

void TopologyMonitor::report_node_failure(std::uint32_t node_id, const std::string& reason) {
  Impl& impl = *impl_;
  NodeEntry* entry = impl.registry.find(node_id);
  if (entry == nullptr || impl.stopping) return;
  if (entry->status.readable) {
    entry->status.readable = false;
    entry->status.reason = "failed a request: " + reason;
    impl.publish(false);
  }
  if (impl.primary_id == node_id) impl.wake();  // a failing primary may have moved
}

const TopologyView& TopologyMonitor::view() const {
  return impl_->view;
}

std::shared_ptr<routing::OffsetBoard> TopologyMonitor::offsets() const {
  return impl_->board;
}

}  // namespace funnel::topology
