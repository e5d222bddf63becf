// The hot-key workload's writer (docs/storm.md): one connection from the coordinator, through
// the run's target or straight to the backend, that SETs the hottest keys in turn at the
// scenario's write rate, each value carrying a version higher than any written before (the wall
// clock in microseconds when the writer was made, plus a counter), and records when each write
// was acknowledged for the stale-read check. Runs on the coordinator's loop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/asio_types.hpp"
#include "storm/redis_connection.hpp"
#include "storm/scenario.hpp"
#include "storm/staleness.hpp"

namespace funnel::storm {

class HotWriter {
 public:
  HotWriter(asio::io_context& io, const Scenario& scenario, asio::ip::tcp::endpoint target);

  // Connects and writes every key of the set once, so that a value left by an earlier run is
  // older than a write acknowledged before the load. "" on success, otherwise what failed.
  asio::awaitable<std::string> seed();
  // Writes at the rate until stop().
  asio::awaitable<void> run();
  void stop();

  const std::vector<WriteAck>& acks() const { return acks_; }
  std::uint64_t errors() const { return errors_; }

 private:
  // One SET of rank's key with the next version; records its acknowledgement.
  asio::awaitable<bool> write(int rank);

  const Scenario& scenario_;
  asio::ip::tcp::endpoint target_;
  RedisConnection connection_;
  SteadyTimer timer_;
  std::uint64_t next_version_;
  std::vector<WriteAck> acks_;
  std::uint64_t errors_ = 0;
  bool connected_ = false;
  bool stopped_ = false;
};

}  // namespace funnel::storm
