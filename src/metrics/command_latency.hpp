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
// By slot, then by command class (CommandClass: read, write, other, local). One histogram per
// (command, class) pair serves both families: funnel_command_duration_seconds sums a slot's
// classes, funnel_request_duration_seconds a class's slots, so a request is observed once and
// both stay exact (a second observe per request cost the hot path ~6 instructions).
inline constexpr std::size_t kLatencyClasses = 4;
using CommandLatency = std::array<std::array<Histogram, kLatencyClasses>, kLatencyCommands + 1>;

// funnel_request_duration_seconds' counts for one command class: the sum over the slots.
void add_class_latency(const CommandLatency& latency, std::size_t command_class,
                       std::array<std::uint64_t, Histogram::kBuckets>& counts,
                       std::uint64_t& sum_ns);

// Maps command ids (command::command_id) to a slot: built once per worker from the names.
using LatencySlots = std::array<std::uint8_t, 1024>;

// Appends funnel_command_duration_seconds: the log buckets at 1, 2 and 5 times each power of
// ten from 10 µs to 10 s (a subset of Histogram's bounds, so each is exact), _sum and _count.
void render_command_latency(std::string& out, const std::vector<const WorkerMetrics*>& workers);

}  // namespace funnel::metrics
