// One run: the scenario's arrivals replayed against one target by a fleet of containers, with
// INFO sampling and a live progress line, bounded in time. The coordinator's loop is single-
// threaded (containers are forked from it) and holds no client sockets itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storm/endpoint.hpp"
#include "storm/run_result.hpp"
#include "storm/scenario.hpp"

namespace funnel::storm {

struct RunTarget {
  std::string path;                 // "direct" or "funnel": the label in results
  Endpoint target;                  // where the invocations connect
  std::optional<Endpoint> backend;  // whose INFO is sampled (connected_clients ...)
  std::optional<Endpoint> funnel;   // Funnel's INFO, for its # Funnel counters
  // The hot-key workload: where its writer writes, and Funnel's admin endpoint for /metrics.
  std::optional<Endpoint> writer;
  std::optional<Endpoint> funnel_admin;
};

// Totals::stopped_early of a run ended by SIGINT or SIGTERM: callers run nothing after it.
inline constexpr std::string_view kInterrupted = "interrupted (SIGINT or SIGTERM)";

struct EngineOptions {
  bool progress = true;  // the live one-line display on stderr
};

// Runs the scenario against target and returns its result. Throws std::runtime_error if the
// observers cannot connect before the load starts. Every container is reaped before it returns.
RunResult run_storm(const Scenario& scenario, const RunTarget& target,
                    const EngineOptions& options);

// funnel-storm's own CPU time so far (this process and its reaped containers), in seconds.
double storm_cpu_seconds();

}  // namespace funnel::storm
