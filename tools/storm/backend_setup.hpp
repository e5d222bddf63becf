// Before and between runs: seeding the hash the invocations read (the case's HGET target) and
// waiting for the backend's connection count to settle after a run, over short-lived observer
// connections. Blocking, bounded by deadlines.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include <boost/asio/ip/tcp.hpp>

#include "storm/scenario.hpp"

namespace funnel::storm {

// HSETs mix.fields fields (user:0 ...) of mix.value_size bytes into mix.key. Throws
// std::runtime_error if the endpoint does not accept it within 30 s.
void seed_hash(const boost::asio::ip::tcp::endpoint& endpoint, const CommandMix& mix);

// The backend's connected_clients right now (one INFO over a fresh connection), or nullopt.
std::optional<std::int64_t> backend_connected_clients(
    const boost::asio::ip::tcp::endpoint& endpoint);

// Polls until connected_clients is at most `clients` (the observer's own connection included)
// or the deadline passes; returns the last count seen.
std::optional<std::int64_t> wait_for_clients_at_most(const boost::asio::ip::tcp::endpoint& endpoint,
                                                     std::int64_t clients,
                                                     std::chrono::milliseconds deadline);

}  // namespace funnel::storm
