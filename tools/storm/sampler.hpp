// Observation while a run goes on: INFO from the backend (connected_clients,
// total_connections_received, rejected_connections) and, when Funnel is in the path, Funnel's
// `# Funnel` counters, over connections opened before the load starts (once the backend is at
// maxclients it would refuse a new one). Runs on the coordinator's loop.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/asio_types.hpp"
#include "storm/run_result.hpp"

namespace funnel::storm {

class InfoLink;

class Sampler {
 public:
  // Either endpoint may be absent (then its fields stay empty in every sample).
  Sampler(asio::io_context& io, std::optional<asio::ip::tcp::endpoint> backend,
          std::optional<asio::ip::tcp::endpoint> funnel);
  ~Sampler();

  // Connects every link (3 s each). "" on success, otherwise what failed.
  asio::awaitable<std::string> connect();
  // The backend's maxclients (CONFIG GET), -1 if unknown (CONFIG renamed or refused).
  asio::awaitable<std::int64_t> backend_maxclients();
  // The backend's calls of these commands so far, summed (INFO commandstats), or nullopt when
  // it did not say.
  asio::awaitable<std::optional<std::int64_t>> backend_command_calls(
      std::span<const std::string_view> commands);
  // One sample, stamped t_s. A link that does not answer within timeout is left out.
  asio::awaitable<InfoSample> sample(double t_s, std::chrono::milliseconds timeout);
  void close();

 private:
  std::unique_ptr<InfoLink> backend_;
  std::unique_ptr<InfoLink> funnel_;
};

}  // namespace funnel::storm
