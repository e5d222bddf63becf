// Per-command latency (issue #18, item 4): funnel_command_duration_seconds by command, for a
// label set fixed at build time (the commands most clients use, then `other`), so a client
// sending made-up command names cannot grow the scrape. Each worker observes into its own
// histograms (WorkerMetrics::command_latency; no lock, no shared write); the scrape sums them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/histogram.hpp"

namespace funnel::metrics {

struct WorkerMetrics;

inline constexpr std::size_t kLatencyCommands = 16;  // labelled commands; slot 16 is `other`
inline constexpr std::array<std::string_view, kLatencyCommands> kLatencyCommandNames = {
    "get",  "set",  "mget",    "mset",  "del",  "exists", "expire", "incr",
    "hget", "hset", "hgetall", "lpush", "rpop", "sadd",   "zadd",   "eval"};
using CommandLatency = std::array<Histogram, kLatencyCommands + 1>;

// Maps command ids (command::command_id) to a slot: built once per worker from the names.
using LatencySlots = std::array<std::uint8_t, 1024>;

// Appends funnel_command_duration_seconds: the log buckets at 1, 2 and 5 times each power of
// ten from 10 µs to 10 s (a subset of Histogram's bounds, so each is exact), _sum and _count.
void render_command_latency(std::string& out, const std::vector<const WorkerMetrics*>& workers);

}  // namespace funnel::metrics
