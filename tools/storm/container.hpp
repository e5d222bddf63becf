// A container: one simulated function execution environment, as a forked child process with its
// own RLIMIT_NOFILE (the sandbox's descriptor limit) and its own Asio loop. It runs the
// invocations the coordinator sends it one at a time, with the run's connection strategy, and
// answers each with a ResultMessage.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "storm/scenario.hpp"

namespace funnel::storm {

struct ContainerSetup {
  int id = 0;
  int channel_fd = -1;  // this container's end of the socketpair to the coordinator
  int coordinator_pid = 0;
  const Scenario* scenario = nullptr;
  boost::asio::ip::tcp::endpoint target;
};

// The forked child's whole life: moves the channel to fd 3, closes every other inherited
// descriptor above 2, applies the descriptor limit, then serves jobs until the shutdown message
// or the coordinator's end. Never returns: the child ends with _exit, so nothing the parent
// owns is destroyed (or flushed) twice.
[[noreturn]] void run_container(const ContainerSetup& setup);

}  // namespace funnel::storm
