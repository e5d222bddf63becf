// Read-your-writes support: ROLE on every node every topology.offset_poll_ms, written into the
// OffsetBoard. The primary's polls are recorded with the time they were SENT (a write whose reply
// arrived before that time is in the offset the poll returns); replicas' offsets per node id.
// One coroutine and one control link ("funnel:offsets:<id>") per node, so a slow node delays
// only its own polls. Runs on the monitor's io_context.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "backend/control_link.hpp"
#include "backend/link_settings.hpp"
#include "net/asio_types.hpp"
#include "routing/offset_board.hpp"
#include "topology/topology_view.hpp"

namespace funnel::topology {

class OffsetPoller : public std::enable_shared_from_this<OffsetPoller> {
 public:
  OffsetPoller(asio::io_context& io, const backend::LinkSettings& settings,
               std::shared_ptr<routing::OffsetBoard> board, std::uint32_t interval_ms);

  // Polls exactly the nodes of `view` from now on (starting and ending per-node loops once
  // started). When the primary's identity changed, the board forgets the old primary's polls.
  void update(const TopologyView& view);
  // Starts the loops. Until then update() only records the nodes, so that a first round run by
  // io_context::run() to completion (Control::bootstrap) leaves no endless work behind.
  void start();
  // Ends every loop (they finish when the io_context runs next).
  void stop();

 private:
  struct Target;
  // `self` keeps the poller (and the settings its links refer to) alive while the loop runs.
  asio::awaitable<void> poll_loop(std::shared_ptr<OffsetPoller> self,
                                  std::shared_ptr<Target> target);
  // True: poll again at once (the node closed a link that was open).
  asio::awaitable<bool> poll_once(Target& target);

  asio::io_context& io_;
  backend::LinkSettings settings_;
  std::shared_ptr<routing::OffsetBoard> board_;
  std::uint32_t interval_ms_;
  std::map<std::uint32_t, std::shared_ptr<Target>> targets_;
  // Bumps whenever the primary changes: a poll sent to the old primary is never recorded.
  std::uint64_t primary_generation_ = 0;
  std::optional<std::uint32_t> primary_id_;
  std::vector<boost::asio::ip::tcp::endpoint> primary_endpoints_;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace funnel::topology
