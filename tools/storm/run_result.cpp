// RunRecorder: from raw records and samples to series and totals (see run_result.hpp).
#include "storm/run_result.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace funnel::storm {
namespace {

constexpr double kNoData = std::numeric_limits<double>::quiet_NaN();

std::size_t bin_index(double t_s, double bin_s) {
  return t_s <= 0 ? 0 : static_cast<std::size_t>(t_s / bin_s);
}

// Highest value in bins where values exist; NaN elsewhere.
void raise_to(std::vector<double>& series, std::size_t i, std::int64_t value) {
  const auto v = static_cast<double>(value);
  series[i] = std::isnan(series[i]) ? v : std::max(series[i], v);
}

}  // namespace

RunRecorder::Bin& RunRecorder::bin_at(double t_s) {
  const std::size_t i = bin_index(t_s, bin_s_);
  if (i >= bins_.size()) bins_.resize(i + 1);
  return bins_[i];
}

void RunRecorder::add_invocation(const InvocationRecord& record) {
  Bin& bin = bin_at(record.end_s);
  last_end_s_ = std::max(last_end_s_, record.end_s);
  ++bin.requests;
  ++invocations_;
  if (record.error != ErrorKind::kNone) {
    ++bin.errors[static_cast<std::size_t>(record.error)];
    ++errors_[static_cast<std::size_t>(record.error)];
    ++failed_;
  }
  bin.latencies_ms.push_back(record.latency_ms);
  all_latencies_ms_.push_back(record.latency_ms);
}

void RunRecorder::add_sample(const InfoSample& sample) {
  samples_.push_back(sample);
}

void RunRecorder::note_concurrency(double t_s, int busy) {
  Bin& bin = bin_at(t_s);
  bin.concurrency = std::max(bin.concurrency, busy);
  peak_concurrency_ = std::max(peak_concurrency_, busy);
}

void RunRecorder::note_container_connections(int connections) {
  max_container_connections_ = std::max(max_container_connections_, connections);
}

void RunRecorder::fill_sample_series(RunResult& result) const {
  Series& s = result.series;
  const std::optional<std::int64_t>* previous_total = nullptr;
  for (const auto& sample : samples_) {
    const std::size_t i = bin_index(sample.t_s, bin_s_);
    if (i >= s.t_s.size()) continue;
    if (sample.connected_clients) raise_to(s.backend_connections, i, *sample.connected_clients);
    if (sample.funnel_connected_clients) {
      raise_to(s.funnel_clients, i, *sample.funnel_connected_clients);
    }
    if (sample.total_connections_received) {
      if (previous_total != nullptr && *previous_total) {
        const auto delta = *sample.total_connections_received - **previous_total;
        const double before =
            std::isnan(s.backend_new_connections[i]) ? 0 : s.backend_new_connections[i];
        s.backend_new_connections[i] =
            before + static_cast<double>(std::max<std::int64_t>(delta, 0));
      }
      previous_total = &sample.total_connections_received;
    }
  }
}

void RunRecorder::fill_sample_totals(Totals& t) const {
  const InfoSample* first_total = nullptr;
  const InfoSample* last_total = nullptr;
  for (const auto& sample : samples_) {
    if (sample.connected_clients) {
      t.backend_peak_connections = std::max(t.backend_peak_connections, *sample.connected_clients);
    }
    if (sample.funnel_connected_clients) {
      t.funnel_peak_clients = std::max(t.funnel_peak_clients, *sample.funnel_connected_clients);
    }
    if (sample.funnel_connections_per_node) {
      t.funnel_link_budget = *sample.funnel_connections_per_node * 2 + 1;
    }
    if (sample.total_connections_received && sample.rejected_connections) {
      if (first_total == nullptr) first_total = &sample;
      last_total = &sample;
    }
  }
  if (first_total != nullptr) {
    t.backend_new_connections =
        *last_total->total_connections_received - *first_total->total_connections_received;
    t.backend_rejected_connections =
        *last_total->rejected_connections - *first_total->rejected_connections;
  }
  std::optional<std::int64_t> first_rejected, last_rejected;
  for (const auto& sample : samples_) {
    if (!sample.funnel_rejected_connections) continue;
    if (!first_rejected) first_rejected = sample.funnel_rejected_connections;
    last_rejected = sample.funnel_rejected_connections;
  }
  if (first_rejected) t.funnel_rejected_connections = *last_rejected - *first_rejected;
}

void RunRecorder::finish(RunResult& result) {
  std::size_t count = bins_.size();
  for (const auto& sample : samples_) count = std::max(count, bin_index(sample.t_s, bin_s_) + 1);
  bins_.resize(count);
  result.bin_s = bin_s_;
  Series& s = result.series;
  s = Series{};
  for (auto* v : {&s.t_s, &s.requests, &s.errors, &s.concurrency, &s.backend_connections,
                  &s.backend_new_connections, &s.funnel_clients, &s.p50_ms, &s.p95_ms, &s.p99_ms}) {
    v->assign(count, kNoData);
  }
  for (auto& v : s.errors_by_kind) v.assign(count, 0);
  for (std::size_t i = 0; i < count; ++i) {
    Bin& bin = bins_[i];
    s.t_s[i] = static_cast<double>(i) * bin_s_;
    s.requests[i] = static_cast<double>(bin.requests);
    std::uint64_t errors = 0;
    for (std::size_t k = 1; k < kErrorKindCount; ++k) {
      s.errors_by_kind[k][i] = static_cast<double>(bin.errors[k]);
      errors += bin.errors[k];
    }
    s.errors[i] = static_cast<double>(errors);
    s.concurrency[i] = bin.concurrency;
    if (bin.latencies_ms.empty()) continue;
    const Percentiles p = percentiles(bin.latencies_ms);
    s.p50_ms[i] = p.p50;
    s.p95_ms[i] = p.p95;
    s.p99_ms[i] = p.p99;
  }
  fill_sample_series(result);
  Totals& t = result.totals;
  t.invocations = invocations_;
  t.failed = failed_;
  t.ok = invocations_ - failed_;
  t.errors = errors_;
  t.latency_ms = percentiles(all_latencies_ms_);
  t.peak_concurrency = peak_concurrency_;
  t.containers_started = containers_started_;
  t.max_container_connections = max_container_connections_;
  t.last_end_s = last_end_s_;
  fill_sample_totals(t);
}

}  // namespace funnel::storm
