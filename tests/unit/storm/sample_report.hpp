// A small compare report built through RunRecorder, shared by the writer tests: a direct run
// with max-clients failures and a Funnel run without, over 5 one-second intervals.
#pragma once

#include "storm/storm_report.hpp"

namespace funnel::storm::testing {

inline RunResult sample_run(const std::string& path, bool failing) {
  RunRecorder recorder(1.0);
  const bool via = path == "funnel";
  for (int i = 0; i < 50; ++i) {
    InvocationRecord r;
    r.arrival_s = i * 0.1;
    r.end_s = r.arrival_s + 0.05;
    r.latency_ms = 1 + i % 5;
    r.error = failing && i % 10 == 0 ? ErrorKind::kMaxClients : ErrorKind::kNone;
    recorder.add_invocation(r);
    recorder.note_concurrency(r.arrival_s, 1 + i % 7);
  }
  for (int i = 0; i <= 20; ++i) {
    InfoSample s;
    s.t_s = i * 0.25;
    s.connected_clients = via ? 4 : 2 + i;
    s.total_connections_received = via ? 10 : 100 + 10 * i;
    s.rejected_connections = failing ? i : 0;
    if (via) {
      s.funnel_connected_clients = 1 + i;
      s.funnel_rejected_connections = 0;
      s.funnel_connections_per_node = 2;
    }
    recorder.add_sample(s);
  }
  recorder.note_container_started();
  RunResult result;
  result.path = path;
  result.target = via ? "127.0.0.1:6380" : "127.0.0.1:6379";
  result.backend = "127.0.0.1:6379";
  recorder.finish(result);
  result.totals.backend_maxclients = 20;
  return result;
}

inline StormReport sample_report() {
  StormReport report;
  report.mode = "compare";
  report.version = "0.1.0";
  report.started_at = "2025-01-01T00:00:00Z";
  report.runs.push_back(sample_run("direct", true));
  report.runs.push_back(sample_run("funnel", false));
  return report;
}

}  // namespace funnel::storm::testing
