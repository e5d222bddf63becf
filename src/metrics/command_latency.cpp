// funnel_command_duration_seconds (command_latency.hpp).
#include "metrics/command_latency.hpp"

#include <fmt/format.h>

#include "metrics/exposition.hpp"
#include "metrics/text_format.hpp"
#include "metrics/worker_metrics.hpp"

namespace funnel::metrics {
namespace {

// 1, 2 or 5 times a power of ten: a Prometheus-style ladder out of the finer log buckets.
bool shown_bound(std::int64_t ns) {
  while (ns % 10 == 0 && ns >= 10) ns /= 10;
  return ns == 1 || ns == 2 || ns == 5;
}

void render_one(std::string& out, std::string_view command,
                const std::array<Histogram, kLatencyClasses>* const* per_worker,
                std::size_t workers) {
  std::array<std::uint64_t, Histogram::kBuckets> counts{};
  std::uint64_t sum_ns = 0;
  for (std::size_t w = 0; w < workers; ++w) {
    for (const Histogram& by_class : *per_worker[w]) by_class.add_to(counts, sum_ns);
  }
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  if (total == 0) return;  // only commands that happened: keeps scrapes small
  const auto& bounds = Histogram::upper_bounds_ns();
  constexpr std::string_view name = "funnel_command_duration_seconds";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < Histogram::kBuckets; ++b) {
    cumulative += counts[b];
    if (b < bounds.size() && !shown_bound(bounds[b])) continue;
    const std::string le = b < bounds.size() ? fmt::format("{}", bounds[b] / 1e9) : "+Inf";
    fmt::format_to(std::back_inserter(out), "{}_bucket{{command=\"{}\",le=\"{}\"}} {}\n", name,
                   command, le, cumulative);
  }
  fmt::format_to(std::back_inserter(out),
                 "{}_sum{{command=\"{}\"}} {}\n{}_count{{command=\"{}\"}} {}\n", name, command,
                 sum_ns / 1e9, name, command, cumulative);
}

}  // namespace

void add_class_latency(const CommandLatency& latency, std::size_t command_class,
                       std::array<std::uint64_t, Histogram::kBuckets>& counts,
                       std::uint64_t& sum_ns) {
  for (const auto& slot : latency) slot[command_class].add_to(counts, sum_ns);
}

void render_command_latency(std::string& out, const std::vector<const WorkerMetrics*>& workers) {
  header(out, "funnel_command_duration_seconds", "histogram",
         "Time from reading a request to handing its reply to the client, by command (the most "
         "used commands, then other).");
  std::vector<const std::array<Histogram, kLatencyClasses>*> per_worker(workers.size());
  for (std::size_t slot = 0; slot <= kLatencyCommands; ++slot) {
    for (std::size_t w = 0; w < workers.size(); ++w)
      per_worker[w] = &workers[w]->command_latency[slot];
    render_one(out, slot < kLatencyCommands ? kLatencyCommandNames[slot] : "other",
               per_worker.data(), workers.size());
  }
}

// Bounded: at most 10 series (ExpositionInput::hot_keys), each key cut to 64 bytes and escaped.
// No family at all until a key was sampled: a TYPE line with no sample under it charts as "no
// data" and fails the exposition's every-family-has-samples check.
void render_hot_keys(std::string& out, const ExpositionInput& in) {
  if (in.hot_keys.empty()) return;
  header(out, "funnel_hotkey_requests", "gauge",
         "Estimated requests for the hottest keys over the last one to two hot-key windows "
         "(sampled; FUNNEL HOTKEYS).");
  for (const auto& [key, count] : in.hot_keys) {
    // Keys are any bytes a client sent: only printable ASCII reaches the label (a byte that is
    // not valid UTF-8 would make Prometheus refuse the whole scrape).
    std::string shown(std::string_view(key).substr(0, 64));
    for (char& c : shown) {
      if (c < 0x20 || c > 0x7e) c = '?';
    }
    sample(out, "funnel_hotkey_requests", "key=\"" + escape(shown) + "\"",
           static_cast<double>(count));
  }
}

}  // namespace funnel::metrics
