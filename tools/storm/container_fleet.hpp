// The coordinator's side of the containers: forks them on demand (a cold start), sends each its
// jobs, receives results, and at the end shuts every one down and reaps it by its own PID. The
// coordinator itself holds no client sockets, only one channel per container.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "net/asio_types.hpp"
#include "storm/scenario.hpp"
#include "storm/wire.hpp"

namespace funnel::storm {

class ContainerFleet {
 public:
  // Called on the coordinator's loop for every result; lost=true (and a default message) when a
  // container died with a job in flight.
  using ResultHandler = std::function<void(int container, const ResultMessage& result, bool lost)>;

  ContainerFleet(asio::io_context& io, const Scenario& scenario, asio::ip::tcp::endpoint target,
                 ResultHandler on_result);
  ~ContainerFleet();
  ContainerFleet(const ContainerFleet&) = delete;
  ContainerFleet& operator=(const ContainerFleet&) = delete;

  // Forks one more container; its id (0, 1, ...) or -1 when fork or socketpair failed.
  // Contract: the coordinator must be single-threaded when this is called (fork).
  int start();
  int size() const { return static_cast<int>(containers_.size()); }
  // Sends one invocation to an idle container.
  bool send(int container, std::uint32_t index);
  // Sends the shutdown message to every container, waits up to grace for them to exit, then
  // SIGKILLs the rest; reaps all. Idempotent.
  void shutdown(std::chrono::milliseconds grace);
  std::vector<pid_t> pids() const;

 private:
  struct Child {
    pid_t pid = -1;
    std::unique_ptr<asio::local::stream_protocol::socket> channel;
    bool busy = false;
    bool exited = false;
  };
  asio::awaitable<void> read_results(int id);

  asio::io_context& io_;
  const Scenario& scenario_;
  asio::ip::tcp::endpoint target_;
  ResultHandler on_result_;
  std::vector<Child> containers_;
  bool shut_down_ = false;
};

}  // namespace funnel::storm
