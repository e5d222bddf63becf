// INTERIM: the single-node source only (backend.address, re-resolved every resolve_interval_s and
// on refresh_now), so main builds and behaves as before while the full monitor (static,
// discover, sentinel, health checks, offsets) is written on branch topo-monitor, which replaces
// this file.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "topology/topology_monitor.hpp"

namespace funnel::topology {
using asio::redirect_error;
using asio::use_awaitable;

struct TopologyMonitor::Impl {
  asio::io_context& io;
  const config::Config& config;
  Listener listener;
  TopologyView view;
  std::shared_ptr<routing::OffsetBoard> board = std::make_shared<routing::OffsetBoard>();
  SteadyTimer wakeup{io.get_executor()};
  bool stopping = false;

  asio::awaitable<void> round() {
    const auto& address = *config.backend.address;
    asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto results = co_await resolver.async_resolve(address.host, std::to_string(address.port),
                                                   redirect_error(use_awaitable, ec));
    NodeStatus node;
    node.node_id = 0;
    node.address = address;
    node.role = routing::Role::kPrimary;
    if (ec) {
      node.reason = "cannot resolve " + address.host + ": " + ec.message();
      if (!view.nodes.empty() && !view.nodes[0].endpoints.empty()) co_return;
    } else {
      for (const auto& entry : results) node.endpoints.push_back(entry.endpoint());
      node.reachable = true;
    }
    view.nodes = {node};
    view.primary = 0;
    listener(view);
  }
  asio::awaitable<void> loop() {
    for (;;) {
      co_await round();
      if (stopping) co_return;
      wakeup.expires_after(std::chrono::seconds(config.backend.resolve_interval_s));
      boost::system::error_code ec;
      co_await wakeup.async_wait(redirect_error(use_awaitable, ec));
      if (stopping) co_return;
    }
  }
};

TopologyMonitor::TopologyMonitor(asio::io_context& io, const config::Config& config,
                                 const backend::LinkSettings&, Listener on_change)
    : impl_(new Impl{io, config, std::move(on_change), {}}) {}
TopologyMonitor::~TopologyMonitor() = default;
asio::awaitable<void> TopologyMonitor::first_round() {
  co_await impl_->round();
}
void TopologyMonitor::start() {
  asio::co_spawn(impl_->io, impl_->loop(), asio::detached);
}
void TopologyMonitor::stop() {
  impl_->stopping = true;
  impl_->wakeup.cancel();
}
void TopologyMonitor::refresh_now() {
  impl_->wakeup.cancel();
}
void TopologyMonitor::report_node_failure(std::uint32_t, const std::string&) {}
const TopologyView& TopologyMonitor::view() const {
  return impl_->view;
}
std::shared_ptr<routing::OffsetBoard> TopologyMonitor::offsets() const {
  return impl_->board;
}
}  // namespace funnel::topology
