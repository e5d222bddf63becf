// The control connection to a backend node (one per node, not per worker): loads the command table
// from COMMAND, learns the Redis version, and health-checks the node. Off the hot path, so plain
// coroutines with one request at a time.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "backend/backend_snapshot.hpp"
#include "backend/link_settings.hpp"
#include "net/asio_types.hpp"
#include "resp/value.hpp"

namespace funnel::backend {

class ControlLink {
 public:
  ControlLink(asio::io_context& io, const LinkSettings& settings, std::string name);

  // Connects to the snapshot's endpoints and performs the handshake (RESP3). Returns an empty
  // string on success, otherwise what went wrong.
  asio::awaitable<std::string> open(const BackendSnapshot& snapshot);
  // Sends one request and reads its reply; nullopt (and `error`) on failure or timeout.
  asio::awaitable<std::optional<resp::Value>> call(const std::string& request, std::string& error);
  // The same, returning the reply's exact bytes (to relay them to a client).
  asio::awaitable<std::optional<std::string>> call_raw(const std::string& request,
                                                       std::string& error);
  // For a subscription (the topology monitor's Sentinel events): sends a request without reading
  // its reply, and reads the next message of any kind (reply or RESP3 push) with no deadline.
  asio::awaitable<bool> send(const std::string& request, std::string& error);
  asio::awaitable<std::optional<resp::Value>> receive(std::string& error);
  // TCP keepalive on the connections open() makes from now on (0: off, the default): a link
  // that waits for messages with no deadline (a subscription) learns that its peer is gone,
  // and idle NAT / load balancer state stays fresh. Probes after idle_s, every idle_s / 4, 4 of
  // them.
  void set_keepalive(std::uint32_t idle_s) { keepalive_idle_s_ = idle_s; }
  void close();
  bool is_open() const { return open_; }
  const std::string& redis_version() const { return redis_version_; }
  // The node's availability zone: from HELLO's availability_zone (Valkey 8.1+) at open(), or as
  // the caller learnt it since (set_zone, from INFO server); nullopt while nobody has asked on
  // this connection, "" when the node does not say.
  const std::optional<std::string>& zone() const { return zone_; }
  void set_zone(std::string zone) { zone_ = std::move(zone); }

 private:
  // The next reply; RESP3 pushes are skipped unless keep_pushes.
  asio::awaitable<std::optional<std::string>> read_reply(std::string& error,
                                                         bool keep_pushes = false);
  asio::awaitable<std::string> start_tls(const BackendSnapshot& snapshot);
  // One request and its reply's bytes (call_raw without the re-authentication).
  asio::awaitable<std::optional<std::string>> exchange(const std::string& request,
                                                       std::string& error);
  // AUTH with the current token when the login is LinkSettings::reauth_after_ms old; false
  // (and closed) when the backend refuses it.
  asio::awaitable<bool> reauth_if_due(std::string& error);

  asio::io_context& io_;
  const LinkSettings& settings_;
  std::string name_;
  TcpSocket socket_;
  // Off the hot path, so TLS here is asio's own stream over the same socket.
  std::unique_ptr<asio::ssl::stream<TcpSocket&>> tls_;
  SteadyTimer deadline_;
  std::string buffer_;
  std::string redis_version_;
  std::optional<std::string> zone_;
  std::string address_;           // the node's "host:port" (its per-node credentials)
  common::Millis authed_at_ = 0;  // when this connection last logged in
  std::uint32_t keepalive_idle_s_ = 0;
  bool open_ = false;
  bool timed_out_ = false;
};

}  // namespace funnel::backend
