// What one run (one path: direct or through Funnel) produced: per-invocation records and INFO
// samples go into a RunRecorder as they arrive; finish() turns them into per-interval series
// (the report's charts) and totals (the summary table and result.json). No I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storm/error_kind.hpp"
#include "storm/scenario.hpp"
#include "storm/stats.hpp"

namespace funnel::storm {

struct InvocationRecord {
  double arrival_s = 0;   // when it arrived (scheduled start), seconds from the run's start
  double end_s = 0;       // when its result reached the coordinator
  double latency_ms = 0;  // queue wait + connect + commands; the handler's think time excluded
  ErrorKind error = ErrorKind::kNone;
};

// One INFO sample; a field is empty when the source did not answer or lacks it.
struct InfoSample {
  double t_s = 0;
  std::optional<std::int64_t> connected_clients;
  std::optional<std::int64_t> total_connections_received;
  std::optional<std::int64_t> rejected_connections;
  std::optional<std::int64_t> funnel_connected_clients;
  std::optional<std::int64_t> funnel_rejected_connections;
  std::optional<std::int64_t> funnel_backend_links_ready;
  std::optional<std::int64_t> funnel_connections_per_node;
};

using ErrorCounts = std::array<std::uint64_t, kErrorKindCount>;

// Per-interval series, all the same length; NaN marks an interval without data.
struct Series {
  std::vector<double> t_s;  // interval start
  std::vector<double> requests;
  std::vector<double> errors;
  std::array<std::vector<double>, kErrorKindCount> errors_by_kind;
  std::vector<double> concurrency;          // most containers busy at once
  std::vector<double> backend_connections;  // highest connected_clients sampled
  std::vector<double> backend_new_connections;
  std::vector<double> funnel_clients;  // highest funnel_connected_clients sampled
  std::vector<double> p50_ms, p95_ms, p99_ms;
};

// The hot-key workload's figures (issue #18 item 5); `enabled` false for the hash workload. -1
// marks a figure that could not be observed (no INFO commandstats, no --funnel-admin).
struct HotKeyTotals {
  bool enabled = false;
  std::string writer;                   // where the writer wrote: "direct" or "funnel"
  std::uint64_t reads = 0;              // GET replies the invocations received
  std::uint64_t unversioned_reads = 0;  // replies without a version (null, foreign value)
  std::uint64_t writes = 0;             // acknowledged writes, the seeding writes included
  std::uint64_t write_errors = 0;
  std::uint64_t stale_reads = 0;
  double max_staleness_ms = 0;
  std::int64_t backend_reads = -1;  // the backend's GET and PTTL calls during the run
  double backend_commands_per_invocation = -1;
  std::int64_t coalesced = -1;        // funnel_coalesced_requests_total during the run
  std::int64_t near_cache_hits = -1;  // funnel_near_cache_hits_total during the run
  double coalesced_share = -1;        // coalesced / reads
  double near_cache_share = -1;       // near_cache_hits / reads
};

struct Totals {
  std::uint64_t invocations = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  ErrorCounts errors{};
  Percentiles latency_ms;
  std::int64_t backend_peak_connections = -1;  // -1: never sampled
  std::int64_t backend_new_connections = -1;
  std::int64_t backend_rejected_connections = -1;
  std::int64_t backend_maxclients = -1;  // CONFIG GET maxclients before the run; -1: unknown
  std::int64_t funnel_peak_clients = -1;
  std::int64_t funnel_rejected_connections = -1;
  // The most backend links Funnel may hold (connections_per_node per protocol, plus its
  // control link); -1 when not run through Funnel.
  std::int64_t funnel_link_budget = -1;
  int peak_concurrency = 0;
  int containers_started = 0;
  int max_container_connections = 0;  // most sockets one container held at once
  double last_end_s = 0;              // when the last invocation finished, seconds from the start
  double wall_s = 0;
  double storm_cpu_s = 0;     // funnel-storm's own CPU time, coordinator and containers
  std::string stopped_early;  // why the run ended before its schedule did, if it did
  HotKeyTotals hot;
};

struct RunResult {
  std::string path;     // "direct" or "funnel"
  std::string target;   // HOST:PORT the load went to
  std::string backend;  // HOST:PORT whose INFO was sampled ("" if none)
  Strategy strategy = Strategy::kPerInvocation;
  double bin_s = 1;
  Totals totals;
  Series series;
};

class RunRecorder {
 public:
  explicit RunRecorder(double bin_s) : bin_s_(bin_s) {}

  void add_invocation(const InvocationRecord& record);
  void add_sample(const InfoSample& sample);
  void note_concurrency(double t_s, int busy);
  void note_container_connections(int connections);
  void note_container_started() { ++containers_started_; }

  std::uint64_t invocations() const { return invocations_; }
  std::uint64_t failed() const { return failed_; }
  const ErrorCounts& errors() const { return errors_; }
  const std::vector<InfoSample>& samples() const { return samples_; }

  // Fills result.series and result.totals (except the fields only the engine knows: wall time,
  // CPU, stopped_early). Moves the recorded latencies out; call once.
  void finish(RunResult& result);

 private:
  struct Bin {
    std::uint64_t requests = 0;
    ErrorCounts errors{};
    int concurrency = 0;
    std::vector<double> latencies_ms;
  };
  Bin& bin_at(double t_s);
  void fill_sample_series(RunResult& result) const;
  void fill_sample_totals(Totals& totals) const;

  double bin_s_;
  std::vector<Bin> bins_;
  std::vector<InfoSample> samples_;
  std::vector<double> all_latencies_ms_;
  std::uint64_t invocations_ = 0;
  std::uint64_t failed_ = 0;
  ErrorCounts errors_{};
  int peak_concurrency_ = 0;
  int containers_started_ = 0;
  int max_container_connections_ = 0;
  double last_end_s_ = 0;
};

}  // namespace funnel::storm
