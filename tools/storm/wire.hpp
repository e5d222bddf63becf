// The coordinator <-> container channel: fixed-size binary messages over a socketpair, one job
// down, one result up. Both ends are the same binary (containers are forked), so the layout
// needs no versioning.
#pragma once

#include <cstdint>

#include "storm/scenario.hpp"

namespace funnel::storm {

enum class JobKind : std::uint32_t { kInvoke = 1, kShutdown = 2 };

struct JobMessage {
  std::uint32_t index = 0;  // the invocation's arrival index
  JobKind kind = JobKind::kInvoke;
};

// One GET of the hot-key workload, for the coordinator's stale-read check.
struct HotRead {
  std::int64_t start_ns = 0;  // steady_clock (CLOCK_MONOTONIC) just before the request was written
  std::uint64_t version = 0;
  std::uint32_t key = 0;        // the rank
  std::uint32_t versioned = 0;  // 1 when the reply carried a version (a string hot_value wrote)
};

struct ResultMessage {
  std::uint32_t index = 0;
  std::uint8_t error = 0;  // ErrorKind
  std::uint8_t reads = 0;  // hot-key workload: entries of hot_reads in use
  std::uint8_t reserved[2] = {};
  std::uint32_t redis_us = 0;          // connect + commands (+ QUIT): the Redis part
  std::uint32_t duration_us = 0;       // the whole invocation, think time included
  std::uint32_t open_connections = 0;  // sockets the container holds after this invocation
  std::uint32_t padding = 0;
  HotRead hot_reads[kMaxHotReads] = {};
};

static_assert(sizeof(JobMessage) == 8);
static_assert(sizeof(ResultMessage) == 24 + kMaxHotReads * sizeof(HotRead));

}  // namespace funnel::storm
