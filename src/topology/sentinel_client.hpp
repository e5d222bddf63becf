// Talking to Sentinel (the topology monitor's sentinel source): the query (get-master-addr-by-
// name and replicas, on the first sentinel that answers, in configured order) and the event
// subscription (+switch-master and friends) that makes the monitor re-query at once. Runs on
// the monitor's io_context; one control link per sentinel queried plus one subscriber link per
// sentinel: only the sentinel leading a failover publishes its steps (+try-failover, ...), so
// Funnel listens to every one (issue #17 item 3).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "backend/control_link.hpp"
#include "backend/link_settings.hpp"
#include "config/config.hpp"
#include "net/asio_types.hpp"
#include "topology/sentinel_replies.hpp"

namespace funnel::topology {

struct SentinelAnswer {
  std::optional<config::HostPort> primary;
  SentinelReplicas replicas;  // without s_down / o_down ones
  std::string error;          // set when no sentinel named a primary
};

class SentinelClient {
 public:
  using EventHandler = std::function<void(const SentinelEvent&)>;

  // `settings` are the backend link settings (timeouts, TLS); the credentials are replaced by
  // topology.sentinel_user / sentinel_password.
  SentinelClient(asio::io_context& io, const config::TopologyConfig& config,
                 const backend::LinkSettings& settings);
  ~SentinelClient();

  // Asks the sentinels in order, starting with the one that answered last; the first that names
  // a primary answers (its replica list too).
  asio::awaitable<SentinelAnswer> query();
  // Subscribes to sentinel `index` and calls on_event for each event about the master, until
  // stop(). Reconnects after kRetry on failure. The monitor runs one per sentinel.
  asio::awaitable<void> watch(std::size_t index, EventHandler on_event);
  std::size_t sentinel_count() const { return links_.size(); }
  // Closes every link and ends watch(); coroutines finish when the io_context runs next.
  void stop();

 private:
  asio::awaitable<bool> connect(backend::ControlLink& link, std::size_t index, std::string& error);
  asio::awaitable<void> subscribe_and_read(std::size_t index, const EventHandler& on_event);

  asio::io_context& io_;
  const config::TopologyConfig& config_;
  backend::LinkSettings settings_;
  std::vector<std::unique_ptr<backend::ControlLink>> links_;  // one per sentinel, opened lazily
  std::vector<std::unique_ptr<backend::ControlLink>> subscribers_;  // one per sentinel
  std::size_t preferred_ = 0;                                 // the sentinel that answered last
  std::vector<std::unique_ptr<asio::steady_timer>> retries_;  // one per sentinel
  bool stopping_ = false;
};

}  // namespace funnel::topology
