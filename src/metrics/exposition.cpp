// Prometheus text exposition and /stats JSON (see exposition.hpp).
#include "metrics/exposition.hpp"
#include "metrics/text_format.hpp"

#include <fmt/format.h>

namespace funnel::metrics {
namespace {

// One histogram family by command class; add(worker, class, counts, sum_ns) adds a worker's.
template <typename AddClass>
void histogram(std::string& out, std::string_view name, std::string_view help,
               const std::vector<const WorkerMetrics*>& workers, AddClass add) {
  header(out, name, "histogram", help);
  const auto& bounds = Histogram::upper_bounds_ns();
  for (std::size_t c = 0; c < static_cast<std::size_t>(CommandClass::kCount); ++c) {
    std::array<std::uint64_t, Histogram::kBuckets> counts{};
    std::uint64_t sum_ns = 0;
    for (const WorkerMetrics* worker : workers) add(*worker, c, counts, sum_ns);
    const char* cls = to_label(static_cast<CommandClass>(c));
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < Histogram::kBuckets; ++b) {
      cumulative += counts[b];
      const std::string le = b < bounds.size() ? fmt::format("{}", bounds[b] / 1e9) : "+Inf";
      fmt::format_to(std::back_inserter(out), "{}_bucket{{class=\"{}\",le=\"{}\"}} {}\n", name, cls,
                     le, cumulative);
    }
    fmt::format_to(std::back_inserter(out),
                   "{}_sum{{class=\"{}\"}} {}\n{}_count{{class=\"{}\"}} {}\n", name, cls,
                   sum_ns / 1e9, name, cls, cumulative);
  }
}

void client_metrics(std::string& out, const ExpositionInput& in, const Totals& t) {
  header(out, "funnel_client_connections", "gauge", "Client connections open now.");
  sample(out, "funnel_client_connections", "", static_cast<double>(in.clients_connected));
  header(out, "funnel_client_connections_max", "gauge", "Configured server.max_clients.");
  sample(out, "funnel_client_connections_max", "", in.max_clients);
  header(out, "funnel_client_connections_accepted_total", "counter",
         "Client connections accepted.");
  sample(out, "funnel_client_connections_accepted_total", "", static_cast<double>(t.accepted));
  header(out, "funnel_client_connections_closed_total", "counter",
         "Client connections closed, by reason.");
  for (std::size_t r = 0; r < t.closed.size(); ++r) {
    sample(out, "funnel_client_connections_closed_total",
           fmt::format("reason=\"{}\"", to_label(static_cast<CloseReason>(r))),
           static_cast<double>(t.closed[r]));
  }
  header(out, "funnel_client_connections_rejected_total", "counter",
         "Client connections refused at accept, by reason.");
  sample(out, "funnel_client_connections_rejected_total", "reason=\"max_clients\"",
         static_cast<double>(ProcessCounters::read(in.process->clients_rejected_max_clients)));
  sample(out, "funnel_client_connections_rejected_total", "reason=\"no_descriptors\"",
         static_cast<double>(ProcessCounters::read(in.process->clients_rejected_no_fd)));
  header(out, "funnel_client_auth_failures_total", "counter",
         "Failed AUTH and HELLO AUTH attempts.");
  sample(out, "funnel_client_auth_failures_total", "", static_cast<double>(t.auth_failures));
  header(out, "funnel_client_auth_delayed_total", "counter",
         "Failed AUTH past the address's free failures whose reply was held.");
  sample(out, "funnel_client_auth_delayed_total", "", static_cast<double>(t.auth_delayed));
  header(out, "funnel_client_permission_denied_total", "counter",
         "Requests refused with NOPERM (user rules, command deny list, key patterns).");
  sample(out, "funnel_client_permission_denied_total", "",
         static_cast<double>(t.permission_denied));
  header(out, "funnel_client_tls_handshake_failures_total", "counter",
         "Client TLS handshakes that failed (wrong CA, no client certificate, old protocol).");
  sample(out, "funnel_client_tls_handshake_failures_total", "",
         static_cast<double>(t.tls_handshake_failures));
  header(out, "funnel_client_received_bytes_total", "counter", "Bytes read from clients.");
  sample(out, "funnel_client_received_bytes_total", "", static_cast<double>(t.bytes_received));
  header(out, "funnel_client_sent_bytes_total", "counter", "Bytes written to clients.");
  sample(out, "funnel_client_sent_bytes_total", "", static_cast<double>(t.bytes_sent));
  header(out, "funnel_client_buffer_bytes", "gauge", "Memory held by client buffers.");
  sample(out, "funnel_client_buffer_bytes", "",
         static_cast<double>(ProcessCounters::read(in.process->client_buffer_bytes)));
  header(out, "funnel_backpressure_events_total", "counter",
         "Times Funnel stopped reading a client, by reason.");
  for (std::size_t r = 0; r < t.backpressure.size(); ++r) {
    sample(out, "funnel_backpressure_events_total",
           fmt::format("reason=\"{}\"", to_label(static_cast<Backpressure>(r))),
           static_cast<double>(t.backpressure[r]));
  }
}

// The near cache (issue #18 item 2; docs/spike-shield.md). Zeros while shield.near_cache is off.
void near_cache_metrics(std::string& out, const ExpositionInput& in) {
  std::uint64_t hits = 0, misses = 0, bytes = 0, entries = 0;
  for (const WorkerMetrics* w : in.worker_metrics) {
    hits += w->near_cache_hits.read();
    misses += w->near_cache_misses.read();
    bytes += w->near_cache_bytes.read();
    entries += w->near_cache_entries.read();
  }
  const auto one = [&](std::string_view name, std::string_view type, std::string_view help,
                       std::uint64_t value) {
    header(out, name, type, help);
    sample(out, name, "", static_cast<double>(value));
  };
  one("funnel_near_cache_hits_total", "counter", "Reads answered from the near cache.", hits);
  one("funnel_near_cache_misses_total", "counter",
      "Cacheable reads (listed command, key under a prefix) sent to the backend.", misses);
  one("funnel_near_cache_invalidations_total", "counter",
      "Invalidations applied: keys Redis said changed, flushes, and lost tracking links.",
      in.near_cache_invalidations);
  one("funnel_near_cache_bytes", "gauge", "Bytes held by the near cache's entries.", bytes);
  one("funnel_near_cache_entries", "gauge", "Entries in the near cache.", entries);
}

void backend_metrics(std::string& out, const ExpositionInput& in, const Totals& t) {
  header(out, "funnel_backend_up", "gauge", "1 while the backend answers Funnel's health checks.");
  for (const auto& b : in.backends) {
    sample(out, "funnel_backend_up",
           fmt::format("backend=\"{}\",role=\"{}\"", escape(b.address), b.role), b.up ? 1 : 0);
  }
  header(out, "funnel_backend_connections", "gauge", "Backend connections open, by kind.");
  for (const auto& b : in.backends) {
    const std::string labels = fmt::format("backend=\"{}\",role=\"{}\"", escape(b.address), b.role);
    sample(out, "funnel_backend_connections", labels + ",kind=\"shared\"",
           static_cast<double>(b.shared_links_ready));
    sample(out, "funnel_backend_connections", labels + ",kind=\"control\"",
           static_cast<double>(b.control_links));
    sample(out, "funnel_backend_connections", labels + ",kind=\"subscriber\"",
           static_cast<double>(b.subscriber_links));
  }
  const std::string backend = in.backends.empty()
                                  ? std::string()
                                  : fmt::format("backend=\"{}\"", escape(in.backends[0].address));
  const auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    header(out, name, "counter", help);
    sample(out, name, backend, static_cast<double>(value));
  };
  counter("funnel_backend_connects_total", "Backend links established (handshake done).",
          t.backend_connects);
  counter("funnel_backend_connect_failures_total", "Backend connection attempts that failed.",
          t.backend_connect_failures);
  counter("funnel_backend_reconnects_total", "Ready backend links that were lost.",
          t.backend_reconnects);
  counter("funnel_backend_request_timeouts_total", "Requests answered with a timeout error.",
          t.backend_timeouts);
  counter("funnel_backend_readonly_redirects_total",
          "Writes refused with READONLY and retried on the new primary.", t.readonly_redirects);
  counter("funnel_backend_cluster_redirects_total",
          "Redis Cluster MOVED, ASK, TRYAGAIN and CLUSTERDOWN replies followed by Funnel.",
          t.cluster_redirects);
  std::uint64_t coalesced = 0;
  for (const WorkerMetrics* w : in.worker_metrics) coalesced += w->coalesced_requests.read();
  counter("funnel_coalesced_requests_total",
          "Reads answered with a copy of an identical read's reply instead of a backend request "
          "of their own (shield.coalesce).",
          coalesced);
  near_cache_metrics(out, in);
}

void pubsub_metrics(std::string& out, const ExpositionInput& in, const Totals& t) {
  header(out, "funnel_pubsub_backend_subscriptions", "gauge",
         "Channels, patterns and shard channels subscribed on the backend's shared subscriber "
         "link (each once, however many clients want it).");
  sample(out, "funnel_pubsub_backend_subscriptions", "kind=\"channel\"",
         static_cast<double>(in.pubsub.channels));
  sample(out, "funnel_pubsub_backend_subscriptions", "kind=\"pattern\"",
         static_cast<double>(in.pubsub.patterns));
  sample(out, "funnel_pubsub_backend_subscriptions", "kind=\"shard_channel\"",
         static_cast<double>(in.pubsub.shard_channels));
  header(out, "funnel_pubsub_clients", "gauge", "Clients with at least one subscription.");
  sample(out, "funnel_pubsub_clients", "", static_cast<double>(t.pubsub_clients));
  header(out, "funnel_pubsub_messages_received_total", "counter",
         "Messages read from the backend's subscriber link.");
  sample(out, "funnel_pubsub_messages_received_total", "",
         static_cast<double>(in.pubsub.messages_received));
  header(out, "funnel_pubsub_messages_delivered_total", "counter",
         "Messages fanned out to clients (one per subscribed client per message).");
  sample(out, "funnel_pubsub_messages_delivered_total", "",
         static_cast<double>(t.pubsub_messages_out));
  header(out, "funnel_pubsub_slow_subscribers_closed_total", "counter",
         "Subscribers disconnected over the pubsub output limits (limits.pubsub_output_*).");
  sample(out, "funnel_pubsub_slow_subscribers_closed_total", "",
         static_cast<double>(t.pubsub_slow_closed));
}

void command_metrics(std::string& out, const ExpositionInput& in) {
  header(out, "funnel_commands_total", "counter", "Commands answered, by command and outcome.");
  const std::size_t n = std::min(in.command_names.size(), kMaxCommands);
  for (std::size_t id = 0; id < n; ++id) {
    for (std::size_t o = 0; o < static_cast<std::size_t>(Outcome::kCount); ++o) {
      std::uint64_t value = 0;
      for (const WorkerMetrics* w : in.worker_metrics) value += w->commands[id][o].read();
      if (value == 0) continue;  // only series that happened: keeps scrapes small
      sample(out, "funnel_commands_total",
             fmt::format("command=\"{}\",outcome=\"{}\"", escape(in.command_names[id]),
                         to_label(static_cast<Outcome>(o))),
             static_cast<double>(value));
    }
  }
}

}  // namespace

Totals sum_workers(const std::vector<const WorkerMetrics*>& workers) {
  Totals t;
  for (const WorkerMetrics* w : workers) {
    t.accepted += w->clients_accepted.read();
    t.auth_failures += w->auth_failures.read();
    t.auth_delayed += w->auth_delayed.read();
    t.permission_denied += w->permission_denied.read();
    t.tls_handshake_failures += w->tls_handshake_failures.read();
    t.bytes_received += w->bytes_received.read();
    t.bytes_sent += w->bytes_sent.read();
    t.in_flight += w->requests_in_flight();
    t.backend_connects += w->backend_connects.read();
    t.backend_connect_failures += w->backend_connect_failures.read();
    t.backend_reconnects += w->backend_reconnects.read();
    t.backend_timeouts += w->backend_timeouts.read();
    t.readonly_redirects += w->readonly_redirects.read();
    t.cluster_redirects += w->cluster_redirects.read();
    t.pubsub_clients += w->pubsub_clients();
    t.pubsub_messages_out += w->pubsub_messages_out.read();
    t.pubsub_slow_closed += w->pubsub_slow_closed.read();
    for (std::size_t r = 0; r < t.closed.size(); ++r) t.closed[r] += w->clients_closed[r].read();
    for (std::size_t r = 0; r < t.backpressure.size(); ++r) {
      t.backpressure[r] += w->backpressure[r].read();
    }
    for (const auto& outcomes : w->commands) {
      t.commands += outcomes[0].read() + outcomes[1].read() + outcomes[2].read();
      t.command_errors += outcomes[1].read();
      t.proxy_errors += outcomes[2].read();
    }
  }
  return t;
}

std::string render_prometheus(const ExpositionInput& in) {
  const Totals t = sum_workers(in.worker_metrics);
  std::string out;
  out.reserve(32 * 1024);
  header(out, "funnel_build_info", "gauge", "Funnel's version (value is always 1).");
  sample(out, "funnel_build_info", fmt::format("version=\"{}\"", escape(in.version)), 1);
  header(out, "funnel_workers", "gauge", "Worker threads.");
  sample(out, "funnel_workers", "", in.workers);
  client_metrics(out, in, t);
  backend_metrics(out, in, t);
  header(out, "funnel_requests_in_flight", "gauge",
         "Requests forwarded to a backend and not yet answered.");
  sample(out, "funnel_requests_in_flight", "", static_cast<double>(t.in_flight));
  pubsub_metrics(out, in, t);
  command_metrics(out, in);
  render_stateful_metrics(out, in);
  render_topology_metrics(out, in);
  histogram(out, "funnel_request_duration_seconds",
            "Time from reading a request to handing its reply to the client, by command class.",
            in.worker_metrics, [](const WorkerMetrics& w, std::size_t c, auto& counts, auto& sum) {
              add_class_latency(w.command_latency, c, counts, sum);
            });
  histogram(out, "funnel_proxy_added_duration_seconds",
            "Part of the request duration spent in Funnel itself (backend round trip excluded).",
            in.worker_metrics, [](const WorkerMetrics& w, std::size_t c, auto& counts, auto& sum) {
              w.proxy_latency[c].add_to(counts, sum);
            });
  render_command_latency(out, in.worker_metrics);
  render_hot_keys(out, in);
  header(out, "funnel_invariant_failures_total", "counter", "Internal invariants found broken.");
  sample(out, "funnel_invariant_failures_total", "", static_cast<double>(in.invariant_failures));
  return out;
}

std::string render_stats_json(const ExpositionInput& in) {
  const Totals t = sum_workers(in.worker_metrics);
  std::string backends;
  for (const auto& b : in.backends) {
    if (!backends.empty()) backends += ",";
    backends += fmt::format(
        "{{\"address\":\"{}\",\"role\":\"{}\",\"up\":{},\"shared_links_ready\":{},"
        "\"control_links\":{}}}",
        escape(b.address), b.role, b.up, b.shared_links_ready, b.control_links);
  }
  return fmt::format(
      "{{\"version\":\"{}\",\"workers\":{},\"clients_connected\":{},\"max_clients\":{},"
      "\"clients_accepted\":{},\"clients_rejected_max_clients\":{},\"auth_failures\":{},"
      "\"auth_delayed\":{},\"auth_closed\":{},"
      "\"requests_in_flight\":{},\"commands\":{},\"command_errors\":{},\"proxy_errors\":{},"
      "\"bytes_received\":{},\"bytes_sent\":{},\"backend_connects\":{},"
      "\"backend_reconnects\":{},\"backend_timeouts\":{},\"backends\":[{}],"
      "\"pubsub\":{{\"clients\":{},\"channels\":{},\"patterns\":{},\"shard_channels\":{},"
      "\"messages_received\":{},\"messages_delivered\":{},\"slow_subscribers_closed\":{}}}}}\n",
      escape(in.version), in.workers, in.clients_connected, in.max_clients, t.accepted,
      ProcessCounters::read(in.process->clients_rejected_max_clients), t.auth_failures,
      t.auth_delayed, t.closed[static_cast<std::size_t>(CloseReason::kAuthGuessing)], t.in_flight,
      t.commands, t.command_errors, t.proxy_errors, t.bytes_received, t.bytes_sent,
      t.backend_connects, t.backend_reconnects, t.backend_timeouts, backends, t.pubsub_clients,
      in.pubsub.channels, in.pubsub.patterns, in.pubsub.shard_channels, in.pubsub.messages_received,
      t.pubsub_messages_out, t.pubsub_slow_closed);
}

std::uint64_t sum_counter(const ExpositionInput& input, const Counter WorkerMetrics::*member) {
  std::uint64_t total = 0;
  for (const WorkerMetrics* w : input.worker_metrics) total += (w->*member).read();
  return total;
}

}  // namespace funnel::metrics
