// FUNNEL PAUSE / RESUME on the admin listener (POST /pause?timeout_ms=N, POST /resume) and the
// pause gauges in /metrics. The gate is routing::PauseGate, shared with the sessions, which hold
// and free the requests (client/session_pause.cpp).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/process.hpp"

namespace funnel::server {

AdminResponse Process::admin_pause(bool pause, const std::string& query) {
  routing::PauseGate& gate = *link_settings_.pause_gate;
  const common::Millis now = common::coarse_now_ms();
  if (!pause) {
    const bool was = gate.resume_all(now);
    if (was) spdlog::warn("POST /resume: sending the held requests");
    return AdminResponse{200, "text/plain; charset=utf-8", was ? "resumed\n" : "not paused\n"};
  }
  common::Millis timeout = routing::kHoldAllDefaultMs;
  if (!query.empty()) {
    const std::string_view key = "timeout_ms=";
    const auto parsed =
        query.starts_with(key)
            ? routing::parse_hold_all_timeout(std::string_view(query).substr(key.size()))
            : std::nullopt;
    if (!parsed) {
      return AdminResponse{400, "text/plain; charset=utf-8",
                           "give the pause's timeout as ?timeout_ms=N, N in 1..3600000\n"};
    }
    timeout = *parsed;
  }
  gate.hold_all(timeout, now);
  spdlog::warn("POST /pause for {} ms: requests are held until POST /resume", timeout);
  return AdminResponse{200, "text/plain; charset=utf-8",
                       fmt::format("paused for at most {} ms\n", timeout)};
}

// FUNNEL PAUSE's gauges (also under CLIENT PAUSE WRITE, the clients Funnel holds for it).
std::string Process::pause_metrics() const {
  const routing::PauseGate& gate = *link_settings_.pause_gate;
  return fmt::format(
      "# HELP funnel_paused 1 while a FUNNEL PAUSE (or POST /pause) holds every request.\n"
      "# TYPE funnel_paused gauge\nfunnel_paused {}\n"
      "# HELP funnel_pause_held_requests Requests held in Funnel for a pause (one per client: "
      "its later requests are not read meanwhile).\n"
      "# TYPE funnel_pause_held_requests gauge\nfunnel_pause_held_requests {}\n",
      gate.holds_all(common::coarse_now_ms()) ? 1 : 0, gate.held());
}

// The failover holds' (routing/failover_hold.hpp, routing/shard_hold.hpp): held now, held in all,
// and holds that ended in the error because no new primary was confirmed in time.
std::string Process::failover_metrics() const {
  const routing::FailoverGate& gate = *link_settings_.failover_gate;
  // Cluster mode: the shards' primaries (routing/shard_hold.hpp) count here too.
  const routing::ShardHoldGate& shards = *link_settings_.shard_hold_gate;
  return fmt::format(
      "# HELP funnel_failover_held_requests Requests held in Funnel while the primary fails over "
      "(one per client: its later requests are not read meanwhile).\n"
      "# TYPE funnel_failover_held_requests gauge\nfunnel_failover_held_requests {}\n"
      "# HELP funnel_failover_held_total Requests held for a failover since start.\n"
      "# TYPE funnel_failover_held_total counter\nfunnel_failover_held_total {}\n"
      "# HELP funnel_failover_hold_expired_total Held requests answered with an error because no "
      "new primary was confirmed within backend.failover_hold_ms.\n"
      "# TYPE funnel_failover_hold_expired_total counter\nfunnel_failover_hold_expired_total {}\n",
      gate.held() + shards.held(), gate.held_total() + shards.held_total(),
      gate.expired_total() + shards.expired_total());
}

std::string Process::funnel_report(std::string_view subcommand) {
  const auto in = exposition();
  const auto t = metrics::sum_workers(in.worker_metrics);
  if (subcommand == "STATS") {
    return fmt::format(
        "clients_connected:{}\r\nclients_accepted:{}\r\nclients_rejected_max_clients:{}\r\n"
        "auth_failures:{}\r\nauth_delayed:{}\r\nauth_closed:{}\r\ncommands:{}\r\ncommand_errors:{}"
        "\r\nproxy_errors:{}\r\n"
        "requests_in_flight:{}\r\nbytes_received:{}\r\nbytes_sent:{}\r\n"
        "backend_connects:{}\r\nbackend_reconnects:{}\r\nbackend_timeouts:{}\r\n"
        "readonly_redirects:{}\r\n",
        in.clients_connected, t.accepted,
        metrics::ProcessCounters::read(counters_.clients_rejected_max_clients), t.auth_failures,
        t.auth_delayed, t.closed[static_cast<std::size_t>(metrics::CloseReason::kAuthGuessing)],
        t.commands, t.command_errors, t.proxy_errors, t.in_flight, t.bytes_received, t.bytes_sent,
        t.backend_connects, t.backend_reconnects, t.backend_timeouts, t.readonly_redirects);
  }
  if (subcommand == "POOLS") {
    std::string out;
    for (const auto& b : in.backends) {
      out += fmt::format(
          "backend:{} role:{} state:{} shared_links_ready:{} connections_per_node:{} "
          "protocols:resp2,resp3 control_links:{}{}\r\n",
          b.address, b.role, b.up ? "up" : "down", b.shared_links_ready,
          connections_per_node_.load(std::memory_order_relaxed), b.control_links,
          b.up ? "" : " error:" + b.last_error);
    }
    for (const auto& node : in.nodes) {
      out += fmt::format("node:{} role:{} state:{} readable:{} lag_bytes:{}{}\r\n", node.address,
                         node.role, node.reachable ? "up" : "down", node.readable ? 1 : 0,
                         node.lag_bytes, node.reason.empty() ? "" : " reason:" + node.reason);
    }
    return out;
  }
  if (subcommand == "CLIENTS") {
    std::string out = fmt::format("clients_connected:{} max_clients:{}\r\n", in.clients_connected,
                                  in.max_clients);
    for (const auto& worker : workers_) {
      const auto& m = worker->metrics();
      out += fmt::format("worker:{} clients:{} requests_in_flight:{}\r\n", worker->index(),
                         worker->clients(), m.requests_in_flight());
    }
    return out;
  }
  return {};
}

}  // namespace funnel::server
