// RunRecorder: raw invocation records and INFO samples into per-interval series and totals.
#include "storm/run_result.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "sample_report.hpp"

namespace funnel::storm {
namespace {

TEST(RunRecorder, CountsInvocationsAndErrorsPerInterval) {
  const RunResult run = testing::sample_run("direct", true);
  const Series& s = run.series;
  ASSERT_EQ(s.t_s.size(), 6u);  // samples reach t = 5.0, the sixth interval
  EXPECT_DOUBLE_EQ(s.requests[0], 10);
  EXPECT_DOUBLE_EQ(s.errors[0], 1);
  EXPECT_DOUBLE_EQ(s.errors_by_kind[static_cast<std::size_t>(ErrorKind::kMaxClients)][3], 1);
  EXPECT_DOUBLE_EQ(s.requests[5], 0);
  EXPECT_TRUE(std::isnan(s.p99_ms[5]));  // no completions there
  EXPECT_DOUBLE_EQ(s.p50_ms[0], 3);
  EXPECT_DOUBLE_EQ(s.p99_ms[0], 5);
  EXPECT_DOUBLE_EQ(s.concurrency[0], 7);
  EXPECT_EQ(run.totals.invocations, 50u);
  EXPECT_EQ(run.totals.failed, 5u);
  EXPECT_EQ(run.totals.ok, 45u);
  EXPECT_EQ(run.totals.errors[static_cast<std::size_t>(ErrorKind::kMaxClients)], 5u);
  EXPECT_EQ(run.totals.peak_concurrency, 7);
  EXPECT_DOUBLE_EQ(run.totals.latency_ms.max, 5);
}

TEST(RunRecorder, BackendConnectionsFromSamples) {
  const RunResult run = testing::sample_run("direct", true);
  const Series& s = run.series;
  // connected_clients = 2 + i at t = i / 4: the highest sample in each interval.
  EXPECT_DOUBLE_EQ(s.backend_connections[0], 5);
  EXPECT_DOUBLE_EQ(s.backend_connections[1], 9);
  // total_connections_received rises by 10 per sample: 30 in the first interval (its first
  // sample has no predecessor), 40 in each full one.
  EXPECT_DOUBLE_EQ(s.backend_new_connections[0], 30);
  EXPECT_DOUBLE_EQ(s.backend_new_connections[1], 40);
  EXPECT_EQ(run.totals.backend_peak_connections, 22);
  EXPECT_EQ(run.totals.backend_new_connections, 200);
  EXPECT_EQ(run.totals.backend_rejected_connections, 20);
  EXPECT_EQ(run.totals.funnel_link_budget, -1);
  EXPECT_TRUE(std::isnan(s.funnel_clients[0]));
}

TEST(RunRecorder, FunnelCountersAndBudget) {
  const RunResult run = testing::sample_run("funnel", false);
  EXPECT_EQ(run.totals.failed, 0u);
  EXPECT_EQ(run.totals.backend_peak_connections, 4);
  EXPECT_EQ(run.totals.backend_new_connections, 0);
  EXPECT_EQ(run.totals.funnel_peak_clients, 21);
  EXPECT_EQ(run.totals.funnel_rejected_connections, 0);
  EXPECT_EQ(run.totals.funnel_link_budget, 5);  // 2 per protocol, plus the control link
  EXPECT_DOUBLE_EQ(run.series.funnel_clients[0], 4);
}

TEST(RunRecorder, MissingSamplesStayEmpty) {
  RunRecorder recorder(0.5);
  recorder.add_sample(InfoSample{0.1, {}, {}, {}, {}, {}, {}, {}});
  InvocationRecord r;
  r.end_s = 1.2;
  r.error = ErrorKind::kEmfile;
  recorder.add_invocation(r);
  recorder.note_container_connections(1019);
  RunResult run;
  recorder.finish(run);
  ASSERT_EQ(run.series.t_s.size(), 3u);
  EXPECT_DOUBLE_EQ(run.series.t_s[2], 1.0);
  EXPECT_TRUE(std::isnan(run.series.backend_connections[0]));
  EXPECT_EQ(run.totals.backend_peak_connections, -1);
  EXPECT_EQ(run.totals.backend_new_connections, -1);
  EXPECT_EQ(run.totals.errors[static_cast<std::size_t>(ErrorKind::kEmfile)], 1u);
  EXPECT_EQ(run.totals.max_container_connections, 1019);
  EXPECT_DOUBLE_EQ(run.totals.last_end_s, 1.2);
}

}  // namespace
}  // namespace funnel::storm
