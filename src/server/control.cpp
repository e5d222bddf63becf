// Control thread: address resolution, the control link (COMMAND, version, health) and snapshot
// publication. Nothing here runs on a worker's loop.
#include "server/control.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backend/handshake.hpp"

namespace funnel::server {
namespace {
using asio::redirect_error;
using asio::use_awaitable;
constexpr auto kHealthInterval = std::chrono::seconds(2);
constexpr auto kRetryInterval = std::chrono::seconds(1);

// Built outside the coroutines: GCC 12 miscompiles brace-initialised string-literal lists there.
const std::string& command_request() {
  static const std::string request = backend::encode_command({"COMMAND"});
  return request;
}
const std::string& ping_request() {
  static const std::string request = backend::encode_command({"PING"});
  return request;
}

asio::awaitable<void> sleep_for(SteadyTimer& timer, std::chrono::milliseconds duration) {
  timer.expires_after(duration);
  boost::system::error_code ec;
  co_await timer.async_wait(redirect_error(use_awaitable, ec));
}
}  // namespace

Control::Control(const config::Config& config, const backend::LinkSettings& settings,
                 Publisher publish)
    : config_(config),
      settings_(settings),
      publish_(std::move(publish)),
      link_(io_, settings, "funnel:control:0"),
      resolve_wakeup_(io_.get_executor()) {
  backend::BackendSnapshot initial;
  initial.address = config_.backend.address->to_string();
  initial.commands = command::CommandTable::builtin();
  current_ = std::make_shared<const backend::BackendSnapshot>(std::move(initial));
}

Control::~Control() {
  stop();
}

void Control::set_health(bool up, std::string error) {
  std::lock_guard lock(mutex_);
  last_error_ = std::move(error);
  up_.store(up, std::memory_order_relaxed);
}

std::string Control::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

backend::SnapshotPtr Control::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void Control::publish(backend::BackendSnapshot next) {
  auto snapshot = std::make_shared<const backend::BackendSnapshot>(std::move(next));
  {
    std::lock_guard lock(mutex_);
    current_ = snapshot;
  }
  if (publish_) publish_(snapshot);
}

asio::awaitable<bool> Control::resolve(bool force_new_epoch) {
  const auto& address = *config_.backend.address;
  asio::ip::tcp::resolver resolver(io_);
  boost::system::error_code ec;
  auto results = co_await resolver.async_resolve(address.host, std::to_string(address.port),
                                                 redirect_error(use_awaitable, ec));
  backend::BackendSnapshot next = *current();
  std::vector<asio::ip::tcp::endpoint> endpoints;
  if (!ec) {
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  if (ec) {
    next.resolve_error = "cannot resolve " + address.host + ": " + ec.message();
    if (next.endpoints.empty()) publish(std::move(next));  // keep serving a known address
    spdlog::warn("{}", next.resolve_error);
    co_return false;
  }
  const bool changed = endpoints != next.endpoints;
  if (!changed && !force_new_epoch) co_return true;
  if (changed && !next.endpoints.empty()) {
    spdlog::info("backend {} now resolves to {}", address.to_string(),
                 endpoints.front().address().to_string());
  }
  next.endpoints = std::move(endpoints);
  next.resolve_error.clear();
  ++next.epoch;
  publish(std::move(next));
  if (force_new_epoch || changed) link_.close();  // reload the table from the new primary
  co_return true;
}

asio::awaitable<bool> Control::refresh_from_control_link() {
  const backend::SnapshotPtr snapshot = current();
  const std::string error = co_await link_.open(*snapshot);
  if (!error.empty()) {
    if (backend_up() || last_error() != error) {
      spdlog::warn("backend {} control link: {}", snapshot->address, error);
    }
    set_health(false, error);
    co_return false;
  }
  set_health(true, {});
  std::string call_error;
  auto reply = co_await link_.call(command_request(), call_error);
  backend::BackendSnapshot next = *current();
  next.redis_version = link_.redis_version();
  if (reply && !reply->is_error()) {
    std::string table_error;
    if (auto table = command::CommandTable::from_command_reply(*reply, &table_error)) {
      next.commands = std::move(table);
    } else {
      spdlog::warn("backend {}: COMMAND reply not understood ({}); keeping the built-in table",
                   snapshot->address, table_error);
    }
  } else {
    spdlog::warn("backend {}: COMMAND failed ({}); keeping the built-in table", snapshot->address,
                 reply ? reply->str : call_error);
  }
  spdlog::info("backend {}: redis {} with {} commands", snapshot->address, next.redis_version,
               next.commands->size());
  publish(std::move(next));
  co_return true;
}

backend::SnapshotPtr Control::bootstrap() {
  asio::co_spawn(
      io_,
      [this]() -> asio::awaitable<void> {
        if (co_await resolve(true)) co_await refresh_from_control_link();
      },
      asio::detached);
  io_.run();
  io_.restart();
  return current();
}

asio::awaitable<void> Control::resolve_loop() {
  for (;;) {
    const bool forced = std::exchange(reresolve_requested_, false);
    const bool ok = co_await resolve(forced);
    if (stopping_) co_return;
    if (reresolve_requested_) continue;
    const auto wait = ok ? std::chrono::milliseconds(config_.backend.resolve_interval_s * 1000)
                         : std::chrono::milliseconds(kRetryInterval);
    co_await sleep_for(resolve_wakeup_, wait);
    if (stopping_) co_return;
  }
}

asio::awaitable<void> Control::control_loop() {
  SteadyTimer timer(io_.get_executor());
  for (;;) {
    if (stopping_) co_return;
    if (!link_.is_open()) {
      if (!co_await refresh_from_control_link()) {
        co_await sleep_for(timer, std::chrono::milliseconds(kRetryInterval));
        continue;
      }
    }
    co_await sleep_for(timer, std::chrono::milliseconds(kHealthInterval));
    if (stopping_ || !link_.is_open()) continue;
    std::string error;
    auto pong = co_await link_.call(ping_request(), error);
    if (!pong) {
      spdlog::warn("backend {} health check failed: {}", current()->address, error);
      set_health(false, "health check failed: " + error);
    }
  }
}

void Control::start() {
  asio::co_spawn(io_, resolve_loop(), asio::detached);
  asio::co_spawn(io_, control_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void Control::request_reresolve(std::uint64_t epoch_seen) {
  asio::post(io_, [this, epoch_seen] {
    if (epoch_seen < current()->epoch) return;  // already replaced since
    reresolve_requested_ = true;
    resolve_wakeup_.cancel();
  });
}

void Control::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    stopping_ = true;
    resolve_wakeup_.cancel();
    link_.close();
    io_.stop();
  });
  thread_.join();
}

}  // namespace funnel::server
