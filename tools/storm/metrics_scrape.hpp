// Funnel's Prometheus metrics, read from its admin endpoint (`funnel --admin HOST:PORT`,
// docs/observability.md) before and after a hot-key run for the share of reads served by
// coalescing and by the near cache. Blocking, bounded by a deadline.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace funnel::storm {

// The body of GET /metrics, or nullopt when the endpoint did not answer 200 within timeout.
std::optional<std::string> fetch_funnel_metrics(const boost::asio::ip::tcp::endpoint& admin,
                                                std::chrono::milliseconds timeout);

}  // namespace funnel::storm
