// result.json (see storm_report.hpp): the scenario, then per path its totals and series.
#include <fmt/format.h>

#include "storm/json_writer.hpp"
#include "storm/storm_report.hpp"

namespace funnel::storm {
namespace {

void write_scenario(JsonWriter& w, const Scenario& s) {
  w.key("scenario").begin_object();
  w.key("profile").value(profile_name(s.profile));
  w.key("strategy").value(strategy_name(s.strategy));
  w.key("duration_s").value(s.duration_s);
  w.key("rate").value(s.rate);
  w.key("rate_end").value(s.rate_end);
  w.key("baseline_concurrency").value(s.baseline_concurrency);
  w.key("peak_concurrency").value(s.peak_concurrency);
  w.key("containers").value(effective_containers(s));
  w.key("fd_limit").value(s.fd_limit);
  w.key("think_ms").value(s.think_ms);
  w.key("burst").value(s.burst);
  w.key("timeout_ms").value(s.timeout_ms);
  w.key("sample_ms").value(s.sample_ms);
  w.key("bin_ms").value(s.bin_ms);
  w.key("commands").value(s.mix.commands);
  w.key("write_ratio").value(s.mix.write_ratio);
  w.key("value_size").value(s.mix.value_size);
  w.key("fields").value(s.mix.fields);
  w.key("key").value(s.mix.key);
  w.key("workload").value(workload_name(s.workload));
  if (s.workload == Workload::kHotKey) {
    w.key("hot_keys").value(s.hot.keys);
    w.key("zipf_s").value(s.hot.zipf_s);
    w.key("write_rate").value(s.hot.write_rate);
    w.key("written_keys").value(s.hot.written_keys);
    w.key("direct_writer").value(s.hot.direct_writer);
    w.key("hot_prefix").value(s.hot.prefix);
  }
  w.end_object();
}

// The hot-key workload's figures; -1 where a figure could not be observed.
void write_hot_key(JsonWriter& w, const HotKeyTotals& h) {
  w.key("hot_key").begin_object();
  w.key("writer").value(h.writer);
  w.key("reads").value(h.reads);
  w.key("unversioned_reads").value(h.unversioned_reads);
  w.key("writes").value(h.writes);
  w.key("write_errors").value(h.write_errors);
  w.key("stale_reads").value(h.stale_reads);
  w.key("max_staleness_ms").value(h.max_staleness_ms);
  w.key("backend_reads").value(h.backend_reads);
  w.key("backend_commands_per_invocation").value(h.backend_commands_per_invocation);
  w.key("coalesced").value(h.coalesced);
  w.key("near_cache_hits").value(h.near_cache_hits);
  w.key("coalesced_share").value(h.coalesced_share);
  w.key("near_cache_share").value(h.near_cache_share);
  w.end_object();
}

void write_totals(JsonWriter& w, const Totals& t) {
  w.key("totals").begin_object();
  w.key("invocations").value(t.invocations);
  w.key("ok").value(t.ok);
  w.key("failed").value(t.failed);
  w.key("errors").begin_object();
  for (ErrorKind kind : kFailureKinds) {
    w.key(error_kind_name(kind)).value(t.errors[static_cast<std::size_t>(kind)]);
  }
  w.end_object();
  w.key("latency_ms").begin_object();
  w.key("p50").value(t.latency_ms.p50).key("p95").value(t.latency_ms.p95);
  w.key("p99").value(t.latency_ms.p99).key("max").value(t.latency_ms.max);
  w.end_object();
  w.key("backend_peak_connections").value(t.backend_peak_connections);
  w.key("backend_new_connections").value(t.backend_new_connections);
  w.key("backend_rejected_connections").value(t.backend_rejected_connections);
  w.key("backend_maxclients").value(t.backend_maxclients);
  w.key("funnel_peak_clients").value(t.funnel_peak_clients);
  w.key("funnel_rejected_connections").value(t.funnel_rejected_connections);
  w.key("funnel_link_budget").value(t.funnel_link_budget);
  w.key("observer_connections").value(1);
  w.key("peak_concurrency").value(t.peak_concurrency);
  w.key("containers_started").value(t.containers_started);
  w.key("max_container_connections").value(t.max_container_connections);
  w.key("wall_s").value(t.wall_s);
  w.key("storm_cpu_s").value(t.storm_cpu_s);
  w.key("stopped_early").value(t.stopped_early);
  if (t.hot.enabled) write_hot_key(w, t.hot);
  w.end_object();
}

void write_series(JsonWriter& w, const Series& s) {
  w.key("series").begin_object();
  w.key("t_s").numbers(s.t_s);
  w.key("requests").numbers(s.requests);
  w.key("errors").numbers(s.errors);
  for (ErrorKind kind : kFailureKinds) {
    w.key(fmt::format("errors_{}", error_kind_name(kind)))
        .numbers(s.errors_by_kind[static_cast<std::size_t>(kind)]);
  }
  w.key("concurrency").numbers(s.concurrency);
  w.key("backend_connections").numbers(s.backend_connections);
  w.key("backend_new_connections").numbers(s.backend_new_connections);
  w.key("funnel_clients").numbers(s.funnel_clients);
  w.key("p50_ms").numbers(s.p50_ms);
  w.key("p95_ms").numbers(s.p95_ms);
  w.key("p99_ms").numbers(s.p99_ms);
  w.end_object();
}

void write_run(JsonWriter& w, const RunResult& run) {
  w.begin_object();
  w.key("path").value(run.path);
  w.key("target").value(run.target);
  w.key("backend").value(run.backend);
  w.key("strategy").value(strategy_name(run.strategy));
  w.key("bin_s").value(run.bin_s);
  write_totals(w, run.totals);
  write_series(w, run.series);
  w.end_object();
}

void write_probe(JsonWriter& w, const ProbeResult& probe) {
  w.begin_object();
  w.key("path").value(probe.path);
  w.key("target").value(probe.target);
  w.key("p99_threshold_ms").value(probe.limits.p99_ms);
  w.key("max_error_rate").value(probe.limits.max_error_rate);
  w.key("cores").value(probe.cores);
  w.key("sustainable_rate").value(probe.sustainable_rate);
  w.key("storm_limited").value(probe.storm_limited);
  w.key("stop_reason").value(probe.stop_reason);
  w.key("steps").begin_array();
  for (const auto& step : probe.steps) {
    w.begin_object();
    w.key("target_rate").value(step.target_rate);
    w.key("achieved_rate").value(step.achieved_rate);
    w.key("invocations").value(step.invocations);
    w.key("failed").value(step.failed);
    w.key("p50_ms").value(step.latency_ms.p50);
    w.key("p99_ms").value(step.latency_ms.p99);
    w.key("storm_cpu_cores").value(step.storm_cpu_cores);
    w.key("machine_busy_cores").value(step.machine_busy_cores);
    w.key("passed").value(step.passed);
    w.key("storm_limited").value(step.storm_limited);
    w.key("verdict").value(step.verdict);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

std::string report_json(const StormReport& report) {
  JsonWriter w;
  w.begin_object();
  w.key("tool").value("funnel-storm");
  w.key("version").value(report.version);
  w.key("mode").value(report.mode);
  w.key("started_at").value(report.started_at);
  write_scenario(w, report.scenario);
  w.key("runs").begin_array();
  for (const auto& run : report.runs) write_run(w, run);
  w.end_array();
  w.key("probes").begin_array();
  for (const auto& probe : report.probes) write_probe(w, probe);
  w.end_array();
  w.key("findings").begin_array();
  for (const auto& finding : findings(report)) w.value(finding);
  w.end_array();
  w.end_object();
  return w.str() + "\n";
}

}  // namespace funnel::storm
