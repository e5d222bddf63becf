// BackendPool: link ownership, routing by client affinity, and following the primary when it
// moves (READONLY => park, re-resolve, replace links, retry once in order).
#include "backend/backend_pool.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace funnel::backend {

BackendPool::BackendPool(asio::io_context& io, const LinkSettings& settings, PoolShape shape,
                         ReplySink& sink, PoolEvents& events, metrics::ProcessCounters& counters)
    : io_(io),
      settings_(settings),
      shape_(shape),
      sink_(sink),
      events_(events),
      counters_(counters) {
  for (auto& links : links_) links.resize(shape_.connections_per_node);
}

BackendPool::~BackendPool() {
  shutdown();
}

unsigned BackendPool::link_for(std::uint64_t affinity) const {
  const unsigned cpn = shape_.connections_per_node;
  if (shape_.worker < cpn) {
    // This worker owns links worker, worker + workers, worker + 2*workers, ... below cpn.
    const unsigned owned = (cpn - shape_.worker + shape_.workers - 1) / shape_.workers;
    return shape_.worker + shape_.workers * static_cast<unsigned>(affinity % owned);
  }
  return shape_.worker % cpn;
}

std::string BackendPool::link_name(resp::Protocol protocol, unsigned link_index,
                                   std::uint32_t db) const {
  const bool primary = shape_.node == kPrimaryNode || shape_.primary_names;
  const char* kind = primary ? "funnel:shared:" : "funnel:replica:";
  return std::string(kind) + (protocol == resp::Protocol::kResp3 ? "resp3" : "resp2") + ":db" +
         std::to_string(db) + ":" + std::to_string(link_index);
}

BackendPool::LinkTable& BackendPool::database_table(std::uint32_t db) {
  for (auto& database : databases_) {
    if (database.db == db) return database.links;
  }
  databases_.push_back(DatabaseLinks{db, {}});
  for (auto& links : databases_.back().links) links.resize(shape_.connections_per_node);
  return databases_.back().links;
}

void BackendPool::start(SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  for (unsigned i = 0; i < shape_.connections_per_node; ++i) {
    if (owns(i)) ensure_link(resp::Protocol::kResp2, i);
  }
}

BackendLink& BackendPool::ensure_link(resp::Protocol protocol, unsigned link_index,
                                      std::uint32_t db) {
  std::vector<LinkPtr>& links = table(db)[slot(protocol)];
  if (link_index < links.size() && links[link_index]) [[likely]]
    return *links[link_index];
  return open_link(protocol, link_index, db);
}

// ensure_link's cold half: the link is opened on first use.
BackendLink& BackendPool::open_link(resp::Protocol protocol, unsigned link_index,
                                    std::uint32_t db) {
  std::vector<LinkPtr>& links = table(db)[slot(protocol)];
  // A worker that resized before this one hands over requests for a link this one owns by the
  // new count but has not opened yet (pool_resize.cpp).
  if (link_index >= links.size()) links.resize(link_index + 1);
  LinkPtr& link = links[link_index];
  if (!link) {
    link = std::make_shared<BackendLink>(io_, settings_, protocol,
                                         link_name(protocol, link_index, db), sink_, *this);
    link->set_metrics(metrics_);
    link->set_database(db);
    link->set_readonly(shape_.readonly_links);
    link->start(snapshot_);
  }
  return *link;
}

void BackendPool::update_snapshot(SnapshotPtr snapshot) {
  const bool new_epoch = !snapshot_ || snapshot->epoch != snapshot_->epoch;
  snapshot_ = std::move(snapshot);
  for_each_table([&](std::uint32_t, LinkTable& table) {
    for (auto& links : table) {
      for (auto& link : links) {
        if (link) link->set_snapshot(snapshot_);
      }
    }
  });
  if (new_epoch) {
    replace_all_links();
    release_parked();
  }
}

void BackendPool::replace_all_links() {
  for_each_table([&](std::uint32_t db, LinkTable& table) {
    for (std::size_t p = 0; p < table.size(); ++p) {
      for (unsigned i = 0; i < table[p].size(); ++i) {
        if (!table[p][i]) continue;
        retiring_.push_back(std::exchange(table[p][i], nullptr));
        retiring_.back()->retire();
        ensure_link(p == 1 ? resp::Protocol::kResp3 : resp::Protocol::kResp2, i, db);
      }
    }
  });
}

void BackendPool::release_parked() {
  awaiting_epoch_ = false;
  std::vector<Parked> parked;
  parked.swap(parked_);
  for (Parked& request : parked) {
    // Parked on a link that a shrinking connections_per_node retired since: its replacement is
    // one of the count's (the client's other requests wait behind these, in_flight).
    unsigned index = request.link_index;
    if (index >= shape_.connections_per_node) index %= shape_.connections_per_node;
    if (!owns(index)) {
      events_.hand_off(index % shape_.workers, shape_.node, request.protocol, index,
                       request.request, request.target, request.deadline, request.db);
      continue;
    }
    submit_to_link(request.protocol, index, request.request, request.target, request.deadline,
                   request.db);
  }
}

void BackendPool::deliver_error(const ReplyTarget& target, const std::string& text) {
  sink_.deliver(target, "-" + text + "\r\n", ReplyTiming{0, common::precise_now_ns()});
}

void BackendPool::send_out_of_band(std::string_view request, const ReplyTarget& target) {
  if (!snapshot_) return deliver_error(target, "ERR funnel: backend not known yet; retry");
  if (!killer_) {
    killer_ = std::make_shared<ScriptKiller>(
        io_, settings_, sink_, "funnel:control:kill:" + std::to_string(shape_.worker));
  }
  killer_->submit(snapshot_, request, target);
}

void BackendPool::submit(resp::Protocol protocol, std::uint64_t affinity, std::string_view request,
                         const ReplyTarget& target, common::Millis deadline, std::uint32_t db) {
  if (target.flags & ReplyTarget::kOutOfBand) [[unlikely]] {
    // SCRIPT KILL on the client's link would wait behind the script it should stop.
    return send_out_of_band(request, target);
  }
  const unsigned index = link_for(affinity);
  if (!owns(index)) {
    events_.hand_off(index % shape_.workers, shape_.node, protocol, index, request, target,
                     deadline, db);
    return;
  }
  submit_to_link(protocol, index, request, target, deadline, db);
}

void BackendPool::submit_to_link(resp::Protocol protocol, unsigned link_index,
                                 std::string_view request, const ReplyTarget& target,
                                 common::Millis deadline, std::uint32_t db) {
  if (awaiting_epoch_) {
    parked_.push_back(Parked{protocol, link_index, std::string(request), target, deadline, db});
    return;
  }
  BackendLink& link = ensure_link(protocol, link_index, db);
  if (!link.accepting() && !link.retry_after_busy()) {
    if (target.flags & ReplyTarget::kRetryRead) {
      events_.retry_read(shape_.node, protocol, request, target, deadline, "link down", true);
      return;
    }
    deliver_error(target, link.unavailable_error());
    return;
  }
  if (link.scripts_refused() && security::runs_script(target.command_id)) [[unlikely]] {
    deliver_error(target, link.scripts_refused_error());
    return;
  }
  link.submit(request, target, deadline);
}

void BackendPool::tick(common::Millis now) {
  for_each_table([&](std::uint32_t, LinkTable& table) {
    for (auto& links : table) {
      for (auto& link : links) {
        if (link) link->tick(now);
      }
    }
  });
  for (auto& link : retiring_) link->tick(now);
  if (awaiting_epoch_ && now - parked_since_ > settings_.connect_timeout_ms) {
    // No new epoch came (control thread busy or resolution failing): reconnect to what we have.
    spdlog::warn("no new backend address after READONLY within {} ms; reconnecting anyway",
                 settings_.connect_timeout_ms.get());
    replace_all_links();
    release_parked();
  }
  // Requests parked past their deadline get the timeout error now.
  std::erase_if(parked_, [&](const Parked& request) {
    if (request.deadline > now) return false;
    deliver_error(request.target, "ERR funnel: backend " + (snapshot_ ? snapshot_->address : "") +
                                      " is failing over; the command was not run");
    return true;
  });
}

void BackendPool::shutdown() {
  for_each_table([&](std::uint32_t, LinkTable& table) {
    for (auto& links : table) {
      for (auto& link : links) {
        if (link) link->shutdown("Funnel is shutting down");
        link = nullptr;
      }
    }
  });
  for (auto& link : retiring_) link->shutdown("Funnel is shutting down");
  retiring_.clear();
}

std::size_t BackendPool::in_flight() const {
  std::size_t total = parked_.size();
  for_each_table([&](std::uint32_t, const LinkTable& table) {
    for (const auto& links : table) {
      for (const auto& link : links) {
        if (link) total += link->in_flight();
      }
    }
  });
  for (const auto& link : retiring_) total += link->in_flight();
  return total;
}

std::size_t BackendPool::links_open() const {
  std::size_t open = 0;
  for_each_table([&](std::uint32_t, const LinkTable& table) {
    for (const auto& links : table) {
      for (const auto& link : links) {
        if (link && link->state() == BackendLink::State::kReady) ++open;
      }
    }
  });
  return open;
}

void BackendPool::on_link_ready(BackendLink& link, const HandshakeResult& handshake) {
  // The primary's shared links (funnel_backend_connections{kind="shared"}); replicas' links are
  // shown per node by the topology metrics.
  if (shape_.node == kPrimaryNode) {
    metrics::ProcessCounters::add(counters_.backend_links_ready, 1);
    settings_.failover_gate->links_up();  // the primary is back (restarted, or the new one)
  }
  metrics::ProcessCounters::bump(counters_.backend_connects);
  if (!shape_.readonly_links && snapshot_) events_.primary_link(snapshot_->address, true);
  spdlog::info("backend {} link {} up (redis {}{})", snapshot_ ? snapshot_->address : "",
               link.name(), handshake.redis_version, link.tls_note());
}

void BackendPool::on_link_down(BackendLink& link, std::string_view) {
  if (shape_.node == kPrimaryNode) {
    metrics::ProcessCounters::add(counters_.backend_links_ready, -1);
    // With a source that can promote another node, the primary's requests wait for it from now
    // on (routing/failover_hold.hpp) instead of failing on a link in backoff. Not for a link
    // retired because the primary moved: that is the failover's end.
    const bool retired = std::any_of(retiring_.begin(), retiring_.end(),
                                     [&](const LinkPtr& old) { return old.get() == &link; });
    if (!retired) settings_.failover_gate->links_down(common::coarse_now_ms());
  }
  // A cluster shard's primary may be down (routing/shard_hold.hpp); a retired link says nothing.
  if (!shape_.readonly_links && snapshot_ &&
      std::none_of(retiring_.begin(), retiring_.end(),
                   [&](const LinkPtr& old) { return old.get() == &link; })) {
    events_.primary_link(snapshot_->address, false);
  }
  events_.link_lost(shape_.node);
}

bool BackendPool::on_link_redirect(BackendLink& link, std::string_view request,
                                   const ReplyTarget& target, common::Millis deadline,
                                   std::string_view reply) {
  return events_.redirect(link.protocol(), request, target, deadline, reply,
                          snapshot_ ? std::string_view(snapshot_->address) : std::string_view{});
}

void BackendPool::on_link_readonly(BackendLink& link, std::string_view request,
                                   const ReplyTarget& target, common::Millis deadline,
                                   std::string_view /*reply*/) {
  ReplyTarget retry = target;
  retry.flags |= ReplyTarget::kRetried;
  unsigned link_index = 0;  // the retry goes to the replacement of the same link
  for_each_table([&](std::uint32_t, const LinkTable& table) {
    for (const auto& links : table) {
      for (unsigned i = 0; i < links.size(); ++i) {
        if (links[i].get() == &link) link_index = i;
      }
    }
  });
  metrics::ProcessCounters::bump(counters_.readonly_redirects);
  if (metrics_ != nullptr) metrics_->readonly_redirects.add();
  if (!awaiting_epoch_) {
    spdlog::warn(
        "backend {} answered READONLY: the primary moved; re-resolving and replacing links",
        snapshot_ ? snapshot_->address : "");
    awaiting_epoch_ = true;
    parked_since_ = common::coarse_now_ms();
    events_.request_reresolve(snapshot_ ? snapshot_->epoch : 0);
  }
  parked_.push_back(
      Parked{link.protocol(), link_index, std::string(request), retry, deadline, link.database()});
}

bool BackendPool::on_link_read_failed(BackendLink& link, std::string_view request,
                                      const ReplyTarget& target, common::Millis deadline,
                                      std::string_view reason, bool node_failed) {
  events_.retry_read(shape_.node, link.protocol(), request, target, deadline, reason, node_failed);
  return true;
}

void BackendPool::retire_all() {
  for_each_table([&](std::uint32_t, LinkTable& table) {
    for (auto& links : table) {
      for (auto& link : links) {
        if (!link) continue;
        retiring_.push_back(std::exchange(link, nullptr));
        retiring_.back()->retire();
      }
    }
  });
}

bool BackendPool::fully_retired() const {
  bool any = !retiring_.empty();
  for_each_table([&](std::uint32_t, const LinkTable& table) {
    for (const auto& links : table) {
      for (const auto& link : links) any = any || link != nullptr;
    }
  });
  return !any;
}

void BackendPool::on_link_retired(BackendLink& link) {
  std::erase_if(retiring_, [&](const LinkPtr& candidate) { return candidate.get() == &link; });
}

}  // namespace funnel::backend
