// SentinelClient: see sentinel_client.hpp.
#include "topology/sentinel_client.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backend/handshake.hpp"

namespace funnel::topology {
namespace {
using asio::redirect_error;
using asio::use_awaitable;
constexpr auto kRetry = std::chrono::seconds(1);
constexpr std::uint32_t kSubscriberKeepaliveS = 15;

std::string subscribe_request() {
  std::vector<std::string_view> args{"SUBSCRIBE"};
  for (const auto& channel : sentinel_event_channels()) args.push_back(channel);
  return backend::encode_args(args);
}

// Outside the coroutines: GCC 12 miscompiles brace-initialised lists there.
std::string sentinel_request(std::string_view subcommand, const std::string& master) {
  return backend::encode_args({"SENTINEL", subcommand, master});
}

// A pub/sub message as a RESP3 push or RESP2 array: ["message", channel, payload].
bool as_message(const resp::Value& value, std::string_view& channel, std::string_view& payload) {
  if (value.type != resp::ValueType::kPush && value.type != resp::ValueType::kArray) return false;
  if (value.elems.size() != 3 || value.elems[0].as_string() != "message") return false;
  auto c = value.elems[1].as_string();
  auto p = value.elems[2].as_string();
  if (!c || !p) return false;
  channel = *c;
  payload = *p;
  return true;
}
}  // namespace

SentinelClient::SentinelClient(asio::io_context& io, const config::TopologyConfig& config,
                               const backend::LinkSettings& settings)
    : io_(io), config_(config), settings_(settings) {
  backend::BackendCredentials credentials;
  credentials.user = config_.sentinel_user;
  if (config_.sentinel_password) {
    credentials.password = std::make_shared<const std::string>(*config_.sentinel_password);
  }
  settings_.credentials = std::make_shared<backend::CredentialSource>(std::move(credentials));
  if (config_.sentinel_tls == 0) settings_.tls = nullptr;  // TLS data nodes, plain sentinels
  settings_.node_access = nullptr;  // [[topology.nodes]] are data nodes: sentinels log in apart
  for (std::size_t i = 0; i < config_.sentinels.size(); ++i) {
    links_.push_back(std::make_unique<backend::ControlLink>(
        io_, settings_, "funnel:sentinel:" + std::to_string(i)));
    subscribers_.push_back(std::make_unique<backend::ControlLink>(
        io_, settings_, "funnel:sentinel-events:" + std::to_string(i)));
    // Sentinel says nothing on these channels while all is well, possibly for days: without
    // keepalive a silently dropped connection (NAT idle timeout, a host gone) would look quiet,
    // and only the periodic query would notice a failover.
    subscribers_.back()->set_keepalive(kSubscriberKeepaliveS);
    retries_.push_back(std::make_unique<asio::steady_timer>(io_));
  }
}

SentinelClient::~SentinelClient() {
  stop();
}

void SentinelClient::stop() {
  stopping_ = true;
  for (auto& link : links_) link->close();
  for (auto& link : subscribers_) link->close();
  for (auto& timer : retries_) timer->cancel();
}

asio::awaitable<bool> SentinelClient::connect(backend::ControlLink& link, std::size_t index,
                                              std::string& error) {
  if (link.is_open()) co_return true;
  const config::HostPort& address = config_.sentinels[index];
  asio::ip::tcp::resolver resolver(io_);
  boost::system::error_code ec;
  auto results = co_await resolver.async_resolve(address.host, std::to_string(address.port),
                                                 redirect_error(use_awaitable, ec));
  if (ec) {
    error = "cannot resolve " + address.host + ": " + ec.message();
    co_return false;
  }
  backend::BackendSnapshot target;
  target.address = address.to_string();
  for (const auto& entry : results) target.endpoints.push_back(entry.endpoint());
  error = co_await link.open(target);
  co_return error.empty();
}

asio::awaitable<SentinelAnswer> SentinelClient::query() {
  SentinelAnswer answer;
  const std::string& name = config_.sentinel_master;
  const std::string master_request = sentinel_request("get-master-addr-by-name", name);
  const std::string replicas_request = sentinel_request("replicas", name);
  for (std::size_t n = 0; n < links_.size() && !stopping_; ++n) {
    const std::size_t i = (preferred_ + n) % links_.size();
    backend::ControlLink& link = *links_[i];
    const std::string where = "sentinel " + config_.sentinels[i].to_string() + ": ";
    std::string error;
    std::optional<resp::Value> reply;
    if (co_await connect(link, i, error)) reply = co_await link.call(master_request, error);
    std::optional<config::HostPort> primary;
    if (reply) primary = parse_master_address(*reply, error);
    if (!primary) {
      answer.error += (answer.error.empty() ? "" : "; ") + where + error;
      continue;
    }
    reply = co_await link.call(replicas_request, error);
    std::optional<SentinelReplicas> replicas;
    if (reply) replicas = parse_sentinel_replicas(*reply, error);
    if (!replicas) {
      answer.error += (answer.error.empty() ? "" : "; ") + where + error;
      continue;
    }
    answer.primary = std::move(primary);
    answer.replicas = std::move(*replicas);
    answer.error.clear();
    preferred_ = i;  // ask it first next time: a dead sentinel costs a connect timeout
    co_return answer;
  }
  co_return answer;
}

asio::awaitable<void> SentinelClient::subscribe_and_read(std::size_t index,
                                                         const EventHandler& on_event) {
  std::string error;
  backend::ControlLink& subscriber = *subscribers_[index];
  if (!co_await connect(subscriber, index, error) ||
      !co_await subscriber.send(subscribe_request(), error)) {
    spdlog::debug("sentinel {} subscription: {}", config_.sentinels[index].to_string(), error);
    co_return;
  }
  // A new subscription may have missed events: the caller's handler re-queries on this one too.
  SentinelEvent resubscribed;
  resubscribed.about_master = true;
  on_event(resubscribed);
  while (!stopping_) {
    auto message = co_await subscriber.receive(error);
    if (!message) break;
    std::string_view channel;
    std::string_view payload;
    if (!as_message(*message, channel, payload)) continue;  // subscribe confirmations
    SentinelEvent event = parse_sentinel_event(channel, payload, config_.sentinel_master);
    if (event.about_master) {
      spdlog::info("sentinel {}: {} {}", config_.sentinels[index].to_string(), channel, payload);
      on_event(event);
    }
  }
  if (!stopping_) {
    spdlog::warn("sentinel {} subscription lost: {}", config_.sentinels[index].to_string(), error);
  }
}

asio::awaitable<void> SentinelClient::watch(std::size_t index, EventHandler on_event) {
  while (!stopping_ && index < subscribers_.size()) {
    co_await subscribe_and_read(index, on_event);
    subscribers_[index]->close();
    if (stopping_) break;
    retries_[index]->expires_after(kRetry);
    boost::system::error_code ec;
    co_await retries_[index]->async_wait(redirect_error(use_awaitable, ec));
  }
}

}  // namespace funnel::topology
