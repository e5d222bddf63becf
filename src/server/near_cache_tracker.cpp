// NearCacheTracker (near_cache_tracker.hpp).
#include "server/near_cache_tracker.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace funnel::server {
namespace {
constexpr auto kRetryInterval = std::chrono::milliseconds(500);
}  // namespace

NearCacheTracker::NearCacheTracker(asio::io_context& io, const backend::LinkSettings& settings,
                                   routing::NearCacheGuard& guard,
                                   std::vector<std::string> prefixes, CurrentSnapshot current)
    : io_(io),
      settings_(settings),
      guard_(guard),
      request_(tracking_request(prefixes)),
      current_(std::move(current)),
      retry_(io.get_executor()) {}

std::string NearCacheTracker::tracking_request(const std::vector<std::string>& prefixes) {
  std::vector<std::string_view> args = {"CLIENT", "TRACKING", "ON", "BCAST"};
  for (const std::string& p : prefixes) {
    args.emplace_back("PREFIX");
    args.emplace_back(p);
  }
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out.append(a);
    out += "\r\n";
  }
  return out;
}

bool NearCacheTracker::apply(const resp::Value& message, routing::NearCacheGuard& guard) {
  if (message.type != resp::ValueType::kPush || message.elems.size() != 2 ||
      message.elems[0].str != "invalidate")
    return false;
  const resp::Value& keys = message.elems[1];
  if (keys.is_null()) {  // FLUSHALL, FLUSHDB: everything changed
    guard.drop_all();
    return true;
  }
  for (const resp::Value& key : keys.elems) guard.invalidate(key.str);
  return true;
}

void NearCacheTracker::start() {
  asio::co_spawn(io_, loop(), asio::detached);
}

void NearCacheTracker::on_snapshot(const backend::SnapshotPtr& snapshot) {
  asio::post(io_, [this, epoch = snapshot->epoch] {
    if (link_ != nullptr && link_->is_open() && epoch != serving_epoch_) {
      spdlog::info("near cache: the primary changed; tracking again from the new one");
      guard_.lost();   // at once: nothing filled from the old primary is served from now
      link_->close();  // the loop's receive fails and it reconnects
    }
  });
}

void NearCacheTracker::stop() {
  asio::post(io_, [this] {
    stopping_ = true;
    retry_.cancel();
    if (link_ != nullptr) link_->close();
    guard_.lost();
  });
}

asio::awaitable<void> NearCacheTracker::loop() {
  while (!stopping_) {
    co_await serve(current_());
    guard_.lost();
    if (stopping_) break;
    retry_.expires_after(kRetryInterval);
    boost::system::error_code ec;
    co_await retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// One tracking connection's life: open, subscribe, then apply invalidations until it fails.
asio::awaitable<void> NearCacheTracker::serve(backend::SnapshotPtr snapshot) {
  link_ = std::make_unique<backend::ControlLink>(io_, settings_, "funnel:tracking");
  link_->set_keepalive(10);  // a silent primary is found out even with no invalidation to read
  std::string error = co_await link_->open(*snapshot);
  if (!error.empty()) {
    spdlog::warn("near cache: tracking link to {} failed: {}", snapshot->address, error);
    co_return;
  }
  const std::optional<resp::Value> reply = co_await link_->call(request_, error);
  if (!reply || reply->is_error()) {
    spdlog::warn("near cache: CLIENT TRACKING refused by {}: {}", snapshot->address,
                 reply ? reply->str : error);
    link_->close();
    co_return;
  }
  serving_epoch_ = snapshot->epoch;
  if (current_()->epoch != serving_epoch_ || stopping_) co_return;  // moved on meanwhile
  guard_.subscribed(serving_epoch_);
  spdlog::info("near cache: tracking invalidations from {}", snapshot->address);
  for (;;) {
    const std::optional<resp::Value> message = co_await link_->receive(error);
    if (!message) break;
    apply(*message, guard_);
  }
  spdlog::warn("near cache: tracking link to {} lost ({}); cache dropped", snapshot->address,
               error);
}

}  // namespace funnel::server
