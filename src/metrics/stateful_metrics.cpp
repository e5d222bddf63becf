// Prometheus series for stateful commands (see exposition.hpp): the pinned pool's budget and use,
// why clients pinned and for how long, and the MULTI … EXEC blocks Funnel wrote.
#include <fmt/format.h>

#include "metrics/exposition.hpp"
#include "metrics/text_format.hpp"

namespace funnel::metrics {
namespace {

void line(std::string& out, std::string_view name, std::string_view type, std::string_view help,
          std::string_view labels, double value) {
  header(out, name, type, help);
  sample(out, name, labels, value);
}

std::uint64_t sum(const ExpositionInput& in, const Counter WorkerMetrics::*member) {
  return sum_counter(in, member);
}

}  // namespace

void render_stateful_metrics(std::string& out, const ExpositionInput& in) {
  if (in.process == nullptr) return;
  const ProcessCounters& p = *in.process;
  const auto gauge = [&](std::string_view name, std::string_view help, std::int64_t value) {
    line(out, name, "gauge", help, "", static_cast<double>(value));
  };
  gauge("funnel_pinned_links_open", "Pinned backend links open (leased or idle), all workers.",
        ProcessCounters::read(p.pinned_links_open));
  gauge("funnel_pinned_links_leased", "Pinned backend links leased to a client now.",
        ProcessCounters::read(p.pinned_leased));
  gauge("funnel_pinned_links_limit", "backend.max_pinned: the most pinned links open at once.",
        in.max_pinned);
  gauge("funnel_pinned_waiting_clients", "Clients waiting for a pinned link now.",
        ProcessCounters::read(p.pinned_waiting));
  line(out, "funnel_pinned_borrow_timeouts_total", "counter",
       "Clients refused a pinned link after backend.pinned_borrow_timeout_ms.", "",
       static_cast<double>(ProcessCounters::read(p.pinned_borrow_timeouts)));
  fmt::format_to(std::back_inserter(out),
                 "# HELP funnel_pins_total Pinned link leases, by what needed them.\n"
                 "# TYPE funnel_pins_total counter\n");
  // client::PinReason's order
  const char* reasons[] = {"blocking", "watch", "tracking", "monitor"};
  for (std::size_t r = 0; r < std::size(reasons); ++r) {
    std::uint64_t total = 0;
    for (const WorkerMetrics* w : in.worker_metrics) total += w->pins[r].read();
    fmt::format_to(std::back_inserter(out), "funnel_pins_total{{reason=\"{}\"}} {}\n", reasons[r],
                   total);
  }
  fmt::format_to(std::back_inserter(out),
                 "# HELP funnel_pin_duration_seconds How long clients held a pinned link.\n"
                 "# TYPE funnel_pin_duration_seconds summary\n"
                 "funnel_pin_duration_seconds_sum {}\nfunnel_pin_duration_seconds_count {}\n",
                 static_cast<double>(sum(in, &WorkerMetrics::pin_duration_ms)) / 1000.0,
                 sum(in, &WorkerMetrics::pins_ended));
  line(out, "funnel_transactions_total", "counter",
       "MULTI … EXEC blocks Funnel wrote on a shared link (transactions without WATCH).", "",
       static_cast<double>(sum(in, &WorkerMetrics::transactions)));
}

}  // namespace funnel::metrics
