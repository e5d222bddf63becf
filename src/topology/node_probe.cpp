// probe_node and query_role: see node_probe.hpp.
#include "topology/node_probe.hpp"

#include <array>

#include "backend/handshake.hpp"

namespace funnel::topology {
namespace {
// Built outside the coroutines: GCC 12 miscompiles brace-initialised string-literal lists there.
const std::string& ping_request() {
  static const std::string request = backend::encode_command({"PING"});
  return request;
}
const std::string& role_request() {
  static const std::string request = backend::encode_command({"ROLE"});
  return request;
}
const std::string& info_replication_request() {
  static const std::string request = backend::encode_command({"INFO", "replication"});
  return request;
}
const std::string& info_persistence_request() {
  static const std::string request = backend::encode_command({"INFO", "persistence"});
  return request;
}

const std::string& info_server_request() {
  static const std::string request = backend::encode_command({"INFO", "server"});
  return request;
}

const std::array<const std::string*, 2>& info_requests() {
  static const std::array<const std::string*, 2> requests = {&info_replication_request(),
                                                             &info_persistence_request()};
  return requests;
}

bool is_loading(const resp::Value& reply) {
  return reply.is_error() && reply.str.rfind("LOADING", 0) == 0;
}
}  // namespace

boost::asio::awaitable<std::optional<routing::RoleReport>> query_role(backend::ControlLink& link,
                                                                      std::string& error) {
  auto reply = co_await link.call(role_request(), error);
  if (!reply) co_return std::nullopt;
  if (reply->is_error()) {
    error = "ROLE: " + reply->str;
    co_return std::nullopt;
  }
  co_return routing::parse_role(*reply, error);
}

namespace {
// A node's zone does not change while it runs: asked once per connection, from INFO server when
// HELLO did not say (Valkey 8.0, MemoryDB). A node that fails INFO server has no zone.
boost::asio::awaitable<void> learn_zone(backend::ControlLink& link) {
  if (link.zone()) co_return;
  std::string error;
  auto info = co_await link.call(info_server_request(), error);
  std::string zone;
  if (info && !info->is_error()) {
    if (auto text = info->as_string()) zone = routing::parse_replica_info(*text).zone;
  }
  if (link.is_open()) link.set_zone(std::move(zone));
}

boost::asio::awaitable<ProbeResult> probe_once(backend::ControlLink& link,
                                               const backend::BackendSnapshot& target) {
  ProbeResult result;
  if (!link.is_open()) {
    result.error = co_await link.open(target);
    if (!result.error.empty()) co_return result;
  }
  result.redis_version = link.redis_version();
  auto pong = co_await link.call(ping_request(), result.error);
  if (!pong) co_return result;
  if (pong->is_error() && !is_loading(*pong)) {
    result.error = "PING: " + pong->str;
    co_return result;
  }
  result.reachable = true;
  if (!is_loading(*pong)) co_await learn_zone(link);
  result.zone = link.zone().value_or(std::string());
  std::string role_error;
  result.role = co_await query_role(link, role_error);
  if (!link.is_open()) {  // the link died mid-check: the node is not answering
    result.reachable = false;
    result.error = role_error;
    co_return result;
  }
  std::string info_text;
  for (const std::string* request : info_requests()) {
    std::string error;
    auto info = co_await link.call(*request, error);
    if (!info) {
      result.reachable = false;
      result.error = error;
      co_return result;
    }
    if (is_loading(*info)) info_text += "loading:1\n";
    if (auto text = info->as_string()) info_text.append(*text).append("\n");
  }
  if (is_loading(*pong)) info_text += "loading:1\n";
  result.info = routing::parse_replica_info(info_text);
  if (!result.role) result.error = role_error;
  co_return result;
}

}  // namespace

boost::asio::awaitable<ProbeResult> probe_node(backend::ControlLink& link,
                                               const backend::BackendSnapshot& target) {
  const bool was_open = link.is_open();
  ProbeResult result = co_await probe_once(link, target);
  // A link the node closed (Sentinel's CLIENT KILL TYPE normal while it reconfigures a node, a
  // server-side idle timeout) says nothing about the node: try once more on a new connection.
  // A timeout is not retried: a hung node would cost the round twice as long.
  if (!result.reachable && was_open && result.error.find("timeout") == std::string::npos) {
    result = co_await probe_once(link, target);
  }
  co_return result;
}

}  // namespace funnel::topology
