// OffsetPoller: see offset_poller.hpp.
#include "topology/offset_poller.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/clock.hpp"
#include "topology/node_probe.hpp"

namespace funnel::topology {
namespace {
// After a failed poll, wait this long before reconnecting: a dead node is not worth a connect
// attempt every few milliseconds (the health round reports it meanwhile).
constexpr auto kRetry = std::chrono::milliseconds(500);
}  // namespace

struct OffsetPoller::Target {
  Target(asio::io_context& io, const backend::LinkSettings& settings, std::uint32_t id)
      : node_id(id), link(io, settings, "funnel:offsets:" + std::to_string(id)), timer(io) {}
  std::uint32_t node_id;
  backend::BackendSnapshot snapshot;  // address and endpoints to connect to
  backend::ControlLink link;
  asio::steady_timer timer;
  bool removed = false;
};

OffsetPoller::OffsetPoller(asio::io_context& io, const backend::LinkSettings& settings,
                           std::shared_ptr<routing::OffsetBoard> board, std::uint32_t interval_ms)
    : io_(io), settings_(settings), board_(std::move(board)), interval_ms_(interval_ms) {}

void OffsetPoller::update(const TopologyView& view) {
  if (stopping_) return;
  const NodeStatus* primary = view.primary_node();
  std::optional<std::uint32_t> primary_id;
  if (primary != nullptr) primary_id = primary->node_id;
  if (primary_id != primary_id_ ||
      (primary != nullptr && primary->endpoints != primary_endpoints_)) {
    ++primary_generation_;
    board_->forget_primary_polls();
    primary_id_ = primary_id;
    primary_endpoints_ = primary != nullptr ? primary->endpoints : decltype(primary_endpoints_){};
  }
  std::map<std::uint32_t, std::shared_ptr<Target>> next;
  for (const NodeStatus& node : view.nodes) {
    auto found = targets_.find(node.node_id);
    std::shared_ptr<Target> target;
    if (found != targets_.end()) {
      target = found->second;
    } else {
      target = std::make_shared<Target>(io_, settings_, node.node_id);
      if (started_) asio::co_spawn(io_, poll_loop(shared_from_this(), target), asio::detached);
    }
    if (target->snapshot.endpoints != node.endpoints) target->link.close();  // moved: reconnect
    target->snapshot.address = node.address.to_string();
    target->snapshot.endpoints = node.endpoints;
    next[node.node_id] = target;
  }
  for (auto& [id, target] : targets_) {
    if (next.count(id) == 0) {
      target->removed = true;
      target->link.close();
      target->timer.cancel();
      board_->set_node_offset(id, -1);
    }
  }
  targets_ = std::move(next);
}

void OffsetPoller::start() {
  if (started_ || stopping_) return;
  started_ = true;
  for (auto& [id, target] : targets_) {
    asio::co_spawn(io_, poll_loop(shared_from_this(), target), asio::detached);
  }
}

void OffsetPoller::stop() {
  stopping_ = true;
  for (auto& [id, target] : targets_) {
    target->removed = true;
    target->link.close();
    target->timer.cancel();
  }
  targets_.clear();
}

asio::awaitable<bool> OffsetPoller::poll_once(Target& target) {
  const bool was_open = target.link.is_open();
  if (!was_open) {
    const std::string error = co_await target.link.open(target.snapshot);
    if (!error.empty()) co_return false;
  }
  const bool to_primary = primary_id_ == target.node_id;
  const std::uint64_t generation = primary_generation_;
  const std::int64_t sent_ns = common::precise_now_ns();
  std::string error;
  auto role = co_await query_role(target.link, error);
  if (!role) {
    // An open link the node closed (Sentinel's CLIENT KILL during a failover): reconnect now.
    co_return was_open && !target.link.is_open() && error.find("timeout") == std::string::npos;
  }
  if (target.removed) co_return false;
  board_->set_node_offset(target.node_id, role->offset);
  if (to_primary && generation == primary_generation_ && role->role == routing::Role::kPrimary) {
    board_->record_primary_poll(sent_ns, role->offset);
  }
  co_return false;
}

asio::awaitable<void> OffsetPoller::poll_loop(std::shared_ptr<OffsetPoller> self,
                                              std::shared_ptr<Target> target) {
  while (!target->removed && !stopping_) {
    const bool at_once = co_await poll_once(*target);
    if (target->removed || stopping_) break;
    if (at_once) continue;
    const auto pause = target->link.is_open() ? std::chrono::milliseconds(interval_ms_) : kRetry;
    target->timer.expires_after(pause);
    boost::system::error_code ec;
    co_await target->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace funnel::topology
