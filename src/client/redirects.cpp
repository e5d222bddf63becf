// ReplyRouter's cluster redirects (issue #16, docs/cluster.md): the client never sees a MOVED,
// ASK, TRYAGAIN or CLUSTERDOWN that Funnel can follow, only the final answer, in its own order
// (the request keeps its ReplyQueue slot wherever it goes).
// - MOVED: the slot map is read again; a node the current map lists gets the request now; any
//   other address waits for a map read that began after the MOVED, and gets it only if that map
//   lists it (else the client gets the original error): a script's forged MOVED cannot make
//   Funnel connect anywhere. A MOVED or ASK answering a script is followed only when the cluster
//   proves the script did not run (unsafe_redirects.cpp). A MULTI block comes here only with the
//   MOVED or ASK that answered one of its queued commands, after EXEC answered EXECABORT (Redis
//   ran nothing: backend/link_io.cpp); EXEC's own reply never does.
// - ASK: ASKING then the request, adjacent on one link of the listed node (ASKING's +OK is read
//   and dropped); the map is unchanged.
// - TRYAGAIN, CLUSTERDOWN: sent again to the node that answered after 10, 20, 40 ... ms while the
//   request's deadline allows (CLUSTERDOWN also asks for a map read; if the slot has moved
//   meanwhile, that node answers MOVED), then the last error goes to the client.
// At most kMaxRedirects per request. Worker thread only.
#include <charconv>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>

#include "client/reply_router.hpp"
#include "routing/redirect.hpp"
#include "security/script_policy.hpp"

namespace funnel::client {
namespace {
constexpr std::uint8_t kMaxRedirects = 5;
constexpr common::Millis kFirstBackoffMs = 10;
constexpr std::string_view kAsking = "*1\r\n$6\r\nASKING\r\n";

// The host part of "host:port" (or "[v6]:port").
std::string_view host_of(std::string_view address) {
  const std::size_t colon = address.rfind(':');
  std::string_view host = address.substr(0, colon == std::string_view::npos ? 0 : colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}
}  // namespace

backend::BackendPool* ReplyRouter::pool_for_node(std::uint32_t node) const {
  for (backend::ReplicaPools* pools : {replicas_, cluster_primaries_, cluster_replicas_}) {
    if (pools == nullptr) continue;
    if (backend::BackendPool* pool = pools->find(node)) return pool;
  }
  return nullptr;
}

// The pool of the node at "host:port" (a link's address), if the current map lists it.
backend::BackendPool* ReplyRouter::pool_for_peer(std::string_view address) const {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return nullptr;
  std::uint32_t port = 0;
  const std::string_view digits = address.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || port == 0 || port > 65535) return nullptr;
  return ctx_.cluster_routes.pool_for_address(host_of(address), static_cast<std::uint16_t>(port));
}

void ReplyRouter::link_lost(std::uint32_t /*node*/) {
  if (ctx_.slot_map != nullptr) peers_.request_cluster_refresh();
}

bool ReplyRouter::redirect(resp::Protocol protocol, std::string_view request,
                           const backend::ReplyTarget& target, common::Millis deadline,
                           std::string_view reply, std::string_view from) {
  if (ctx_.slot_map == nullptr) return false;  // not cluster mode (or no map yet)
  // An ASK probe's own ASK is its answer (unsafe_redirects.cpp), never followed.
  if (target.session_index == kAskProbeSession) [[unlikely]]
    return false;
  if (security::runs_script(target.command_id)) [[unlikely]]
    return redirect_unsafe(protocol, request, target, deadline, reply, from);
  const routing::Redirect r = routing::parse_redirect(reply);
  if (r.kind == routing::RedirectKind::kNone || target.redirects >= kMaxRedirects) return false;
  backend::ReplyTarget next = target;
  ++next.redirects;
  ctx_.metrics->cluster_redirects.add();
  if (r.kind == routing::RedirectKind::kTryAgain || r.kind == routing::RedirectKind::kClusterDown) {
    if (r.kind == routing::RedirectKind::kClusterDown) peers_.request_cluster_refresh();
    if (common::coarse_now_ms() + (kFirstBackoffMs << target.redirects) >= deadline) return false;
    retry_later(protocol, request, next, deadline, reply, from);
    return true;
  }
  const bool ask = r.kind == routing::RedirectKind::kAsk;
  if (!ask) peers_.request_cluster_refresh();
  const std::string_view host = r.host.empty() ? host_of(from) : r.host;
  if (backend::BackendPool* pool = ctx_.cluster_routes.pool_for_address(host, r.port)) {
    send_to(*pool, ask, protocol, request, next, deadline);
    return true;
  }
  if (ask) peers_.request_cluster_refresh();
  park(ParkedRedirect{ask,
                      std::string(host),
                      r.port,
                      protocol,
                      std::string(request),
                      next,
                      deadline,
                      std::string(reply),
                      common::coarse_now_ms(),
                      false,
                      {}});
  return true;
}

void ReplyRouter::send_to(backend::BackendPool& pool, bool ask, resp::Protocol protocol,
                          std::string_view request, backend::ReplyTarget target,
                          common::Millis deadline) {
  if (!ask) return pool.submit(protocol, target.session_index, request, target, deadline, 0);
  std::string block;
  block.reserve(kAsking.size() + request.size());
  block.append(kAsking).append(request);
  // ASKING's +OK, on top of a MULTI block's own (+OK, +QUEUED ...) and of an ASKING already in
  // `request` (a request that follows a second ASK carries the first one's ASKING too).
  target.extra_replies += 1;
  pool.submit(protocol, target.session_index, block, target, deadline, 0);
}

void ReplyRouter::park(ParkedRedirect parked) {
  parked_.push_back(std::move(parked));
}

// A map read has come: each parked redirect whose address it lists goes there; one that waited
// for a read begun after it arrived, and is still not listed, gets its original error; one
// listed as a node without links here (a replica) waits for the next read, or its deadline.
void ReplyRouter::on_cluster_layout() {
  if (parked_.empty()) return;
  const std::int64_t read_started = ctx_.cluster_routes.layout->read_started_ms;
  std::vector<ParkedRedirect> waiting;
  for (ParkedRedirect& parked : parked_) {
    const routing::NodeAddress address{parked.host, parked.port, ""};
    if (parked.unsafe) {
      if (!judge_parked(parked, read_started)) waiting.push_back(std::move(parked));
    } else if (auto* pool = ctx_.cluster_routes.pool_for_address(parked.host, parked.port)) {
      send_to(*pool, parked.ask, parked.protocol, parked.request, parked.target, parked.deadline);
    } else if (ctx_.slot_map->knows(address)) {
      // Listed, but as a node this worker has no links to (a replica being promoted, seen by
      // a node that has not heard yet): a later read will show it as a primary.
      peers_.request_cluster_refresh();
      waiting.push_back(std::move(parked));
    } else if (read_started > parked.parked_ms) {
      spdlog::debug("cluster: redirect to {}:{} not followed: the slot map does not list it",
                    parked.host, parked.port);
      deliver(parked.target, parked.reply, backend::ReplyTiming{0, common::precise_now_ns()});
    } else {
      waiting.push_back(std::move(parked));
    }
  }
  parked_ = std::move(waiting);
}

void ReplyRouter::expire_parked(common::Millis now) {
  if (parked_.empty()) return;
  std::erase_if(parked_, [&](const ParkedRedirect& parked) {
    if (parked.deadline > now) return false;
    deliver(parked.target, parked.reply, backend::ReplyTiming{0, common::precise_now_ns()});
    return true;
  });
}

// TRYAGAIN / CLUSTERDOWN: the same request to the node that answered (if the map still lists
// it; else slot 0's primary, which redirects it) after a backoff that doubles with each retry.
// One timer per retry: this is the rare path.
void ReplyRouter::retry_later(resp::Protocol protocol, std::string_view request,
                              backend::ReplyTarget target, common::Millis deadline,
                              std::string_view reply, std::string_view from) {
  auto timer = std::make_shared<asio::steady_timer>(ctx_.io);
  timer->expires_after(std::chrono::milliseconds(kFirstBackoffMs << (target.redirects - 1)));
  timer->async_wait([this, timer, protocol, request = std::string(request), target, deadline,
                     reply = std::string(reply),
                     from = std::string(from)](boost::system::error_code ec) {
    if (ec || ctx_.draining) {
      deliver(target, reply, backend::ReplyTiming{0, common::precise_now_ns()});
      return;
    }
    backend::BackendPool* pool = pool_for_peer(from);
    (pool != nullptr ? pool : ctx_.pool)
        ->submit(protocol, target.session_index, request, target, deadline, 0);
  });
}

}  // namespace funnel::client
