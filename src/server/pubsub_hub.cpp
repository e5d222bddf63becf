// PubsubHub: interest bookkeeping, the subscriber link's life cycle (lazy connect, replay of every
// subscription after a reconnect) and the batched fan-out to workers (see pubsub_hub.hpp).
#include "server/pubsub_hub.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace funnel::server {
namespace {
constexpr std::string_view kLinkName = "funnel:subscriber:0";
constexpr std::size_t kNamesPerCommand = 512;     // replay after a reconnect in bounded commands
constexpr common::Millis kPingIntervalMs = 2000;  // as the control link's health checks
}  // namespace

PubsubHub::PubsubHub(const backend::LinkSettings& settings, unsigned workers, Deliver deliver)
    : settings_(settings), workers_(workers), deliver_(std::move(deliver)), outgoing_(workers) {}

PubsubHub::~PubsubHub() {
  stop();
}

void PubsubHub::start(backend::SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  work_.emplace(io_.get_executor());
  schedule_health_check();
  thread_ = std::thread([this] {
    io_.run();
    io_.restart();  // finish what stop() left behind (the link's cancelled waits)
    io_.poll();
  });
}

void PubsubHub::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    health_timer_.cancel();
    if (link_) link_->shutdown("stopping");
    for (auto& [node, link] : shard_links_) link->shutdown("stopping");
    work_.reset();
    asio::post(io_, [this] { io_.stop(); });
  });
  if (thread_.joinable()) thread_.join();
}

void PubsubHub::publish(backend::SnapshotPtr snapshot) {
  asio::post(io_, [this, snapshot = std::move(snapshot)] {
    const bool new_epoch = snapshot_ && snapshot->epoch != snapshot_->epoch;
    snapshot_ = snapshot;
    if (cluster_mode()) on_shards_changed();
    if (!link_) return;
    if (!new_epoch) return link_->set_snapshot(snapshot_);
    // The primary moved: subscribe again on a link to the new address.
    spdlog::info("pub/sub: backend address changed; moving {} to {}", kLinkName,
                 snapshot_->address);
    replace_link("backend address changed");
  });
}

// Closes the link (its replies are no longer trusted) and opens a new one, which subscribes
// every wanted name again once ready.
void PubsubHub::replace_link(std::string_view why) {
  retiring_.push_back(std::move(link_));
  retiring_.back()->shutdown(why);
  stats_.link_up.store(false, std::memory_order_relaxed);
  forget_backend_state();
  ping_.reset();
  ensure_link();
}

void PubsubHub::schedule_health_check() {
  health_timer_.expires_after(std::chrono::milliseconds(500));
  health_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    check_health();
    schedule_health_check();
  });
}

void PubsubHub::check_health() {
  // Subscriber links log in again before the service's connection age limit (IAM): HELLO 3
  // AUTH between our commands, answered to the link itself (backend/link_reauth.cpp); the
  // link's tick also reconnects it after a refused one.
  if (settings_.reauth_after_ms.get() != 0) {
    const common::Millis now_ms = common::coarse_now_ms();
    if (link_) link_->tick(now_ms);
    for (const auto& [node, shard_link] : shard_links_) shard_link->tick(now_ms);
  }
  const common::Millis now = common::coarse_now_ms();
  check_ping(0, now);
  if (shard_links_.empty()) return;
  std::vector<std::uint32_t> nodes;  // check_ping may replace a link (and change the map)
  nodes.reserve(shard_links_.size());
  for (const auto& [node, shard_link] : shard_links_) nodes.push_back(node);
  for (const std::uint32_t node : nodes) check_ping(node, now);
}

// PINGs the link of `node` (0: the main link) now and then; one that answers none within
// backend.link_stall_timeout_ms is replaced, and its subscriptions made again on the new one.
void PubsubHub::check_ping(std::uint32_t node, common::Millis now) {
  backend::BackendLink* link = existing_link(node);
  if (link == nullptr) return;
  backend::LinkPing& ping = ping_of(node);
  if (link->state() != backend::BackendLink::State::kReady) return ping.reset();
  switch (ping.next(now, kPingIntervalMs, settings_.stall_timeout_ms.get())) {
    case backend::LinkPing::Step::kStalled:
      spdlog::warn(
          "pub/sub: {} answered no PING for {} ms (backend.link_stall_timeout_ms); "
          "reconnecting",
          link->name(), settings_.stall_timeout_ms.get());
      if (node == 0) return replace_link("no reply to PING");
      return replace_shard_link(node, "no reply to PING");
    case backend::LinkPing::Step::kSend:
      link->send_untracked(backend::encode_command({"PING"}));
      return ping.sent(now);
    case backend::LinkPing::Step::kWait:
      return;
  }
}

void PubsubHub::accept_changes(unsigned worker, std::vector<InterestChange> changes) {
  asio::post(io_, [this, worker, changes = std::move(changes)] {
    for (const InterestChange& change : changes) {
      if (change.want) {
        want(worker, change.kind, change.name);
      } else {
        unwant(worker, change.kind, change.name);
      }
    }
  });
}

bool PubsubHub::link_ready() const {
  return link_ && link_->state() == backend::BackendLink::State::kReady;
}

void PubsubHub::ensure_link() {
  if (link_) return;
  link_ = std::make_shared<backend::BackendLink>(io_, settings_, resp::Protocol::kResp3,
                                                 std::string(kLinkName), *this, *this);
  link_->set_push_sink(this);
  link_->start(snapshot_);
}

void PubsubHub::want(unsigned worker, PubsubKind kind, const std::string& name) {
  Interest& interest = map(kind).try_emplace(name).first->second;
  if (interest.workers.empty()) interest.workers.resize(workers_);
  if (interest.workers[worker] == 0) {
    interest.workers[worker] = 1;
    ++interest.count;
  }
  if (interest.live) {
    queue(worker, true, kind, name, {});
  } else if (!interest.asked) {
    // First interest anywhere (or again after the last left): subscribe. Workers that join
    // while it is in flight hear of the confirmation with this one. While the link is not
    // ready, on_link_ready subscribes every wanted name.
    ask(kind, interest, name);
  }
}

// Subscribes `name` on the link of the node that serves it (the main link but for a cluster's
// shard channels), opening that link if needed; nothing yet if it is not ready.
void PubsubHub::ask(PubsubKind kind, Interest& interest, std::string_view name) {
  const std::uint32_t node = owner_node(kind, name);
  backend::BackendLink* link = link_to(node);
  if (link == nullptr || link->state() != backend::BackendLink::State::kReady) return;
  interest.node = node;
  interest.asked = true;
  ++interest.pending;
  link->send_untracked(backend::encode_pubsub_command(kind, true, {name}));
}

void PubsubHub::unwant(unsigned worker, PubsubKind kind, const std::string& name) {
  Map& entries = map(kind);
  auto it = entries.find(name);
  if (it == entries.end()) return;
  Interest& interest = it->second;
  if (interest.workers[worker] != 0) {
    interest.workers[worker] = 0;
    --interest.count;
  }
  if (interest.count > 0) return;
  set_live(kind, interest, false);
  backend::BackendLink* link = interest.asked ? existing_link(interest.node) : nullptr;
  if (link != nullptr && link->state() == backend::BackendLink::State::kReady) {
    link->send_untracked(backend::encode_pubsub_command(kind, false, {name}));
    if (interest.node != 0) ++interest.unsub_pending;
  }
  interest.asked = false;
  // Kept while a SUBSCRIBE (or a shard link's SUNSUBSCRIBE) is in flight, so its confirmation
  // is counted, not mistaken for a later one.
  if (interest.pending == 0 && interest.unsub_pending == 0) entries.erase(it);
}

void PubsubHub::set_live(PubsubKind kind, Interest& interest, bool live) {
  if (interest.live == live) return;
  interest.live = live;
  stats_.subscribed[static_cast<std::size_t>(kind)].fetch_add(live ? 1 : -1,
                                                              std::memory_order_relaxed);
}

void PubsubHub::send(PubsubKind kind, bool subscribe, const std::vector<std::string_view>& names) {
  link_->send_untracked(backend::encode_pubsub_command(kind, subscribe, names));
}

// A (re)connected link: every name still wanted is subscribed again (workers keep their
// clients' subscriptions across the outage; the backend forgot them).
void PubsubHub::on_link_ready(backend::BackendLink& link, const backend::HandshakeResult&) {
  std::uint32_t node = 0;
  if (!node_of(link, node)) return;
  stats_.link_connects.fetch_add(1, std::memory_order_relaxed);
  ping_of(node).reset();
  if (node == 0) stats_.link_up.store(true, std::memory_order_relaxed);
  replay(link, node);
}

// Every wanted name that `node`'s link serves, subscribed again on it.
void PubsubHub::replay(backend::BackendLink& link, std::uint32_t node) {
  for (std::size_t k = 0; k < maps_.size(); ++k) {
    const auto kind = static_cast<PubsubKind>(k);
    std::vector<std::string_view> names;
    for (auto it = maps_[k].begin(); it != maps_[k].end();) {
      if (it->second.count == 0 && it->second.unsub_pending == 0) {
        it = maps_[k].erase(it);
        continue;
      }
      if (it->second.count == 0 || it->second.asked || owner_node(kind, it->first) != node) {
        ++it;
        continue;
      }
      it->second.node = node;
      it->second.pending = 1;
      it->second.asked = true;
      names.push_back(it->first);
      if (names.size() == kNamesPerCommand) {
        link.send_untracked(backend::encode_pubsub_command(kind, true, names));
        names.clear();
      }
      ++it;
    }
    if (!names.empty()) link.send_untracked(backend::encode_pubsub_command(kind, true, names));
  }
}

void PubsubHub::on_link_down(backend::BackendLink& link, std::string_view reason) {
  std::uint32_t node = 0;
  if (!node_of(link, node)) return;
  ping_of(node).reset();
  if (node == 0) stats_.link_up.store(false, std::memory_order_relaxed);
  spdlog::warn("pub/sub: {} down ({}); subscriptions will be replayed on reconnect", link.name(),
               reason);
  forget_backend_state(node);
}

// The backend no longer holds our subscriptions (the link dropped, or moves to a new address):
// nothing is live or in flight until the next on_link_ready subscribes every wanted name again.
void PubsubHub::forget_backend_state(std::uint32_t node) {
  if (node == 0) counts_.link_lost();
  for (std::size_t k = 0; k < maps_.size(); ++k) {
    for (auto& [name, interest] : maps_[k]) {
      if (interest.node != node) continue;
      interest.unsub_pending = 0;
      interest.pending = 0;  // the SUBSCRIBEs in flight are lost with the connection
      interest.asked = false;
      set_live(static_cast<PubsubKind>(k), interest, false);
    }
  }
}

void PubsubHub::on_link_retired(backend::BackendLink& link) {
  std::erase_if(retiring_, [&](const auto& old) { return old.get() == &link; });
}

void PubsubHub::on_push(backend::BackendLink& link, std::string_view reply, resp::ReplyKind kind) {
  std::uint32_t node = 0;
  if (!node_of(link, node)) return;
  if (kind == resp::ReplyKind::kSimpleString) {
    ping_of(node).answered();  // +PONG (RESP3 connections answer PING plainly when subscribed)
    return;
  }
  if (kind == resp::ReplyKind::kError && node != 0 && reply.starts_with("-MOVED")) {
    return on_shard_moved(node);  // a map behind the cluster's: asked again on the next one
  }
  if (kind == resp::ReplyKind::kError) {
    // A SUBSCRIBE refused (an ACL without the channel): its clients keep waiting; said loudly.
    spdlog::error("pub/sub: backend refused a subscription command: {}",
                  reply.substr(0, std::min<std::size_t>(reply.size(), 200)));
    return;
  }
  const backend::PubsubPush push = backend::read_pubsub_push(reply);
  switch (push.type) {
    case backend::PubsubPush::Type::kMessage:
      stats_.messages_received.fetch_add(1, std::memory_order_relaxed);
      return on_message(push.kind, push.key, reply);
    case backend::PubsubPush::Type::kSubscribed:
      counts_.set_on_link(push.kind, push.key, true);  // before any client hears of it
      return on_confirmed(push.kind, push.key);
    case backend::PubsubPush::Type::kUnsubscribed:
      counts_.set_on_link(push.kind, push.key, false);  // nothing else waits for it
      if (node != 0) on_dropped(push.kind, push.key);   // ours, or the node's own (slot moved)
      return;
    default:
      return;
  }
}

void PubsubHub::on_confirmed(PubsubKind kind, std::string_view name) {
  Map& entries = map(kind);
  auto it = entries.find(name);
  if (it == entries.end()) return;
  Interest& interest = it->second;
  if (interest.pending > 0) --interest.pending;
  if (interest.pending > 0) return;  // a later SUBSCRIBE of the same name is still in flight
  if (interest.count == 0) {
    if (interest.unsub_pending == 0) entries.erase(it);
    return;
  }
  set_live(kind, interest, true);
  for (unsigned w = 0; w < workers_; ++w) {
    if (interest.workers[w] != 0) queue(w, true, kind, name, {});
  }
}

void PubsubHub::on_message(PubsubKind kind, std::string_view key, std::string_view push) {
  Map& entries = map(kind);
  auto it = entries.find(key);
  if (it == entries.end() || it->second.count == 0) return;
  for (unsigned w = 0; w < workers_; ++w) {
    if (it->second.workers[w] != 0) queue(w, false, kind, key, push);
  }
}

void PubsubHub::queue(unsigned worker, bool confirm, PubsubKind kind, std::string_view key,
                      std::string_view push) {
  client::PubsubDelivery& batch = outgoing_[worker];
  client::PubsubDelivery::Item item;
  item.confirm = confirm;
  item.kind = kind;
  if (confirm) {
    item.key_offset = static_cast<std::uint32_t>(batch.bytes.size());
    batch.bytes.append(key);
  } else {
    // The key is a view into the push: store the push once and point into it.
    item.push_offset = static_cast<std::uint32_t>(batch.bytes.size());
    item.key_offset = item.push_offset + static_cast<std::uint32_t>(key.data() - push.data());
    batch.bytes.append(push);
    item.push_length = static_cast<std::uint32_t>(push.size());
  }
  item.key_length = static_cast<std::uint32_t>(key.size());
  batch.items.push_back(item);
  schedule_flush();
}

// Posted: every push framed in this read of the link goes to each worker in one batch.
void PubsubHub::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(io_, [this] { flush(); });
}

void PubsubHub::flush() {
  flush_posted_ = false;
  for (unsigned w = 0; w < workers_; ++w) {
    if (!outgoing_[w].empty()) deliver_(w, std::exchange(outgoing_[w], {}));
  }
}

void PubsubPort::add(PubsubKind kind, bool want, std::string_view name) {
  changes_.push_back(InterestChange{kind, want, std::string(name)});
  if (posted_) return;
  posted_ = true;
  asio::post(io_, [this] {
    posted_ = false;
    hub_.accept_changes(worker_, std::exchange(changes_, {}));
  });
}

}  // namespace funnel::server
