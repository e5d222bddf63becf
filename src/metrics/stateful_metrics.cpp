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

constexpr std::string_view kOpen = "funnel_pinned_links_open";
constexpr std::string_view kOpenHelp = "Pinned backend links open (leased or idle), all workers.";
constexpr std::string_view kLeased = "funnel_pinned_links_leased";
constexpr std::string_view kLeasedHelp = "Pinned backend links leased to a client now.";
constexpr std::string_view kWaiting = "funnel_pinned_waiting_clients";
constexpr std::string_view kWaitingHelp = "Clients waiting for a pinned link now.";

// Cluster mode: one sample per node (label `node`, the nodes the map lists: a bounded set).
void per_node(std::string& out, std::string_view name, std::string_view help,
              const std::vector<PinnedNodeState>& nodes, std::int64_t PinnedNodeState::*member) {
  header(out, name, "gauge", help);
  for (const PinnedNodeState& node : nodes) {
    sample(out, name, "node=\"" + escape(node.node) + "\"", static_cast<double>(node.*member));
  }
}

}  // namespace

void render_stateful_metrics(std::string& out, const ExpositionInput& in) {
  if (in.process == nullptr) return;
  const ProcessCounters& p = *in.process;
  const auto gauge = [&](std::string_view name, std::string_view help, std::int64_t value) {
    line(out, name, "gauge", help, "", static_cast<double>(value));
  };
  if (in.pinned_nodes.empty()) {
    gauge(kOpen, kOpenHelp, ProcessCounters::read(p.pinned_links_open));
    gauge(kLeased, kLeasedHelp, ProcessCounters::read(p.pinned_leased));
  } else {
    per_node(out, kOpen, kOpenHelp, in.pinned_nodes, &PinnedNodeState::open);
    per_node(out, kLeased, kLeasedHelp, in.pinned_nodes, &PinnedNodeState::leased);
  }
  gauge("funnel_pinned_links_limit", "backend.max_pinned: the most pinned links open at once.",
        in.max_pinned);
  if (in.pinned_nodes.empty()) {
    gauge(kWaiting, kWaitingHelp, ProcessCounters::read(p.pinned_waiting));
  } else {
    per_node(out, kWaiting, kWaitingHelp, in.pinned_nodes, &PinnedNodeState::waiting);
  }
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
