// The reply path of one worker: backend/ delivers every reply here (backend::ReplySink) and asks
// here for what a pool cannot do alone (backend::PoolEvents). A reply for a client of this worker
// goes to its session, found by slab index and generation (a client that has left is recognised
// and its reply dropped); a reply for another worker's client, and a request for a link another
// worker owns, join that worker's batch, and the batches leave once per turn of the event loop,
// one post per destination (PeerWorkers, implemented by server/). A read that failed on a replica
// is sent to another node here, beside the read routes that chose it. Worker thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "backend/backend_pool.hpp"
#include "backend/replica_pools.hpp"
#include "client/handoff.hpp"
#include "client/peer_workers.hpp"
#include "client/session_context.hpp"

namespace funnel::client {

class ReplyRouter final : public backend::ReplySink, public backend::PoolEvents {
 public:
  // `ctx` is this worker's: its registry, metrics (set already), primary pool and read routes
  // (set before the first request). `workers` is the process's worker count.
  ReplyRouter(SessionContext& ctx, PeerWorkers& peers, unsigned workers);
  // The worker's replica pools, where handed-off requests for a replica go (set before start).
  void set_replicas(backend::ReplicaPools* replicas) { replicas_ = replicas; }
  // Cluster mode: the worker's shard pools, where handed-off requests for them go.
  void set_cluster_pools(backend::ReplicaPools* primaries, backend::ReplicaPools* replicas) {
    cluster_primaries_ = primaries;
    cluster_replicas_ = replicas;
  }
  // Cluster mode (redirects.cpp): a new layout is in ctx.cluster_routes; parked redirects whose
  // refresh has come are followed or answered. Expired ones are answered on the worker's tick.
  void on_cluster_layout();
  void expire_parked(common::Millis now);

  // backend::ReplySink
  void deliver(const backend::ReplyTarget& target, std::string_view reply,
               const backend::ReplyTiming& timing) override;
  backend::PartVerdict deliver_part(const backend::ReplyTarget& target, std::string_view part,
                                    backend::PartKind kind, const backend::ReplyTiming& timing,
                                    const std::weak_ptr<backend::StreamSource>& source) override;
  // backend::PoolEvents
  void hand_off(unsigned owner_worker, std::uint32_t node, resp::Protocol protocol,
                unsigned link_index, std::string_view request, const backend::ReplyTarget& target,
                common::Millis deadline, std::uint32_t db) override;
  void retry_read(std::uint32_t node, resp::Protocol protocol, std::string_view request,
                  const backend::ReplyTarget& target, common::Millis deadline,
                  std::string_view reason, bool node_failed) override;
  void request_reresolve(std::uint64_t epoch_seen) override;
  bool redirect(resp::Protocol protocol, std::string_view request,
                const backend::ReplyTarget& target, common::Millis deadline, std::string_view reply,
                std::string_view from) override;
  void link_lost(std::uint32_t node) override;
  void primary_link(std::string_view address, bool up) override;  // session_shard_hold.cpp

  // Another worker's batch for this one (PeerWorkers::post_requests / post_replies).
  void accept_requests(const HandoffBatch& batch);
  void accept_replies(const ReplyBatch& batch);
  // Posts this turn's batches now rather than at the end of the turn (a reload's pool resize:
  // what was handed off by the old link count reaches its owner before the links beyond the
  // new count retire; backend/pool_resize.cpp).
  void flush_now() { flush_batches(); }

 private:
  void schedule_flush();
  void flush_batches();
  backend::BackendPool* pool_for_node(std::uint32_t node) const;
  // A redirect waiting for a slot map read after it arrived (its address is not listed yet).
  struct ParkedRedirect {
    bool ask = false;
    std::string host;
    std::uint16_t port = 0;
    resp::Protocol protocol{};
    std::string request;
    backend::ReplyTarget target;
    common::Millis deadline = 0;
    std::string reply;  // the original error, answered if the refreshed map does not list it
    common::Millis parked_ms = 0;
    // It answered a script (unsafe_redirects.cpp): followed only if a map read after it proves
    // the node refused before running it; `from` is the node that answered.
    bool unsafe = false;
    std::string from;
  };
  // A script's redirect set aside (unsafe_redirects.cpp), one more redirect on its target.
  static ParkedRedirect unsafe_parked(std::string_view host, std::uint16_t port,
                                      resp::Protocol protocol, std::string_view request,
                                      const backend::ReplyTarget& target, common::Millis deadline,
                                      std::string_view reply, std::string_view from);
  // An ASK answering a script, waiting for the answering node's reply to the EXISTS probe of the
  // script's keys (routing/unsafe_redirect.hpp). The probe's ReplyTarget names no session
  // (kAskProbeSession) and carries `serial` as its generation.
  struct AskProbe {
    std::uint32_t serial = 0;
    ParkedRedirect parked;  // host/port: the ASK's target; from: the node probed
  };
  static constexpr std::uint32_t kAskProbeSession = 0xFFFFFFFF;
  // A MOVED answering a script: parked until a map read after it judges it; an ASK: probed
  // (routing/unsafe_redirect.hpp). Returns false: deliver the error now.
  bool redirect_unsafe(resp::Protocol protocol, std::string_view request,
                       const backend::ReplyTarget& target, common::Millis deadline,
                       std::string_view reply, std::string_view from);
  // A parked unsafe redirect under the map that has just come: followed, delivered, or kept.
  bool judge_parked(ParkedRedirect& parked, std::int64_t read_started);
  bool judge_parked_ask(ParkedRedirect& parked, std::int64_t read_started);
  bool probe_unsafe_ask(resp::Protocol protocol, std::string_view request,
                        const backend::ReplyTarget& target, common::Millis deadline,
                        std::string_view reply, std::string_view from);
  bool start_ask_probe(ParkedRedirect parked);
  // The probe's reply (deliver(), for a target naming kAskProbeSession): follow or deliver.
  void ask_probe_answered(std::uint32_t serial, std::string_view reply);
  // Cluster mode: a read that failed on a replica goes to that replica's shard primary
  // (cluster_read_retry.cpp).
  void retry_cluster_read(std::uint32_t node, resp::Protocol protocol, std::string_view request,
                          const backend::ReplyTarget& target, common::Millis deadline,
                          std::string_view reason, bool node_failed);
  void park(ParkedRedirect parked);
  void send_to(backend::BackendPool& pool, bool ask, resp::Protocol protocol,
               std::string_view request, backend::ReplyTarget target, common::Millis deadline);
  void retry_later(resp::Protocol protocol, std::string_view request, backend::ReplyTarget target,
                   common::Millis deadline, std::string_view reply, std::string_view from);
  backend::BackendPool* pool_for_peer(std::string_view address) const;

  SessionContext& ctx_;
  PeerWorkers& peers_;
  const unsigned worker_;
  backend::ReplicaPools* replicas_ = nullptr;
  backend::ReplicaPools* cluster_primaries_ = nullptr;
  backend::ReplicaPools* cluster_replicas_ = nullptr;
  std::vector<ParkedRedirect> parked_;
  std::vector<AskProbe> ask_probes_;  // few, short-lived: the rare path
  std::uint32_t ask_probe_serial_ = 0;
  std::vector<HandoffBatch> outgoing_;  // requests, per destination worker
  std::vector<ReplyBatch> returning_;   // replies, per destination worker
  bool flush_posted_ = false;
};

}  // namespace funnel::client
