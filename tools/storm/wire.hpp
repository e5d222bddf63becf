// The coordinator <-> container channel: fixed-size binary messages over a socketpair, one job
// down, one result up. Both ends are the same binary (containers are forked), so the layout
// needs no versioning.
#pragma once

#include <cstdint>

namespace funnel::storm {

enum class JobKind : std::uint32_t { kInvoke = 1, kShutdown = 2 };

struct JobMessage {
  std::uint32_t index = 0;  // the invocation's arrival index
  JobKind kind = JobKind::kInvoke;
};

struct ResultMessage {
  std::uint32_t index = 0;
  std::uint8_t error = 0;  // ErrorKind
  std::uint8_t reserved[3] = {};
  std::uint32_t redis_us = 0;          // connect + commands (+ QUIT): the Redis part
  std::uint32_t duration_us = 0;       // the whole invocation, think time included
  std::uint32_t open_connections = 0;  // sockets the container holds after this invocation
};

static_assert(sizeof(JobMessage) == 8);
static_assert(sizeof(ResultMessage) == 20);

}  // namespace funnel::storm
