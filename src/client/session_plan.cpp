// ClientSession carries out plans: each request is classified, planned by plan::plan()
// (plan/planner.hpp, where every decision about a request is made) and the plan's action is done
// here: forward, fan out, answer, queue, lease or release a pinned link, hold, close.
#include "client/client_session.hpp"
#include "client/pin_lease.hpp"
#include "client/transaction.hpp"
#include "common/invariant.hpp"
#include "plan/planner.hpp"

namespace funnel::client {
namespace {
constexpr std::string_view kOk = "+OK\r\n";
}  // namespace

plan::ClusterAddress announced_address(const config::Config& config) {
  const config::HostPort& address =
      config.cluster.announce ? *config.cluster.announce : config.server.listen;
  if (address.host == "0.0.0.0" || address.host == "::") return {{}, address.port};
  return {address.host, address.port};
}

// Returns false if the request must wait (at the lane barrier, or for a lease): it is left
// unconsumed (its bytes stay buffered, reading pauses) until the client's in-flight requests are
// answered or the lease comes.
bool ClientSession::handle_request(const resp::Request& request) {
  command::Classification& cls = ctx_.classification;
  command::classify(*ctx_.snapshot->commands, request, cls);
  if (--ctx_.hot_key_countdown == 0) [[unlikely]]
    sample_hot_key(request);
  bool shard_hold = false;  // the shard's primary is down: planned as a failover hold
  if (ctx_.cluster) [[unlikely]] {
    ctx_.request_slot = first_key_slot(cls, request);  // the shard (cluster_routes.hpp)
    if (ctx_.shard_holds) [[unlikely]]
      shard_hold = shard_held(cls, request);
  }
  const plan::Context context{
      &ctx_.users->policy(), ctx_.pinned->enabled(), ctx_.route_reads,
      &ctx_.plan_scratch,    ctx_.writes_paused,     ctx_.cluster,
      &ctx_.cluster_address, ctx_.holding_all,       ctx_.failover_hold || shard_hold};
  if (pause_expired_ || failover_expired_ || shard_expired_) [[unlikely]] {
    if (shard_expired_) return fail_after_shard_hold();
    return pause_expired_ ? fail_after_pause() : fail_after_failover();
  }
  state_.pool_layout = ctx_.pool_layout;  // a reload may have changed the shared links
  if (state_.mode == plan::Mode::kPinned && pin_lost()) [[unlikely]] {
    if (state_.lanes.in_flight() != 0) return hold_at_lane_barrier();  // their errors first
    drop_lost_pin();
  }
  if (rate_limited_) [[unlikely]]
    if (over_user_rate(request)) return true;
  // At most one lease and one release per request: each changes the mode the next plan sees.
  for (;;) {
    const plan::Plan p = plan::plan(state_, cls, request, context);
    switch (p.action) {
      case plan::Action::kHold:
        if (p.hold_for == plan::HoldFor::kPause) [[unlikely]]
          return hold_for_pause();
        if (p.hold_for == plan::HoldFor::kFailover) [[unlikely]]
          return shard_hold ? hold_for_shard() : hold_for_failover();
        return hold_at_lane_barrier();
      case plan::Action::kLease:
        begin_pin(p.pin_reason);
        continue;
      case plan::Action::kRelease:
        end_pin();
        continue;
      default:
        if (p.has(plan::effect::kBlockingDeadline)) [[unlikely]]
          return carry_out_blocking(p, request);
        carry_out(p, request);
        return true;
    }
  }
}

// A blocking command leaves in the order blocking commands arrived (blocking_order.hpp): held
// until its turn, and its turn ends once its bytes are out.
bool ClientSession::carry_out_blocking(const plan::Plan& p, const resp::Request& request) {
  if (!blocking_turn()) return hold_at_lane_barrier();
  carry_out(p, request);
  end_blocking_turn();
  return true;
}

void ClientSession::carry_out(const plan::Plan& p, const resp::Request& request) {
  const std::uint64_t seq = open_slot();
  switch (p.action) {
    case plan::Action::kForward:
      return forward_planned(p, request, seq);
    case plan::Action::kFanOut:
      if (p.fan_out.parts[0] == plan::PartTarget::kEachSlot)
        return fan_out_by_slot(p, request, seq);
      if (p.fan_out.parts[0] != plan::PartTarget::kClientLane) [[unlikely]]
        return fan_out_keyless(p, request, seq);
      return forward_planned(p, request, seq);
    case plan::Action::kLocal:
      return handle_local(request, seq, p);
    case plan::Action::kReply:
      return answer_local(seq, p.text);
    case plan::Action::kError:
      return answer_refusal(p, seq);
    case plan::Action::kBeginMulti:
      return begin_transaction(seq);
    case plan::Action::kQueue:
      if (p.has(plan::effect::kQueuedWrite)) state_.tx_writes = true;
      if (p.has(plan::effect::kQueuedSlot)) note_queued_slot(p.slot);
      return queue_in_transaction(request, seq);
    case plan::Action::kExec:
      return exec_transaction(seq);
    case plan::Action::kDiscard:  // DISCARD, or an EXEC refused with `text` (CROSSSLOT)
      end_transaction();
      return p.text.empty() ? answer_local(seq, kOk) : answer_error(seq, p.text);
    case plan::Action::kClose:
      close_after_seq_ = seq;
      stop_reading_ = true;
      return answer_local(seq, kOk);
    case plan::Action::kLease:
    case plan::Action::kRelease:
    case plan::Action::kHold:
      break;  // handle_request's
  }
  FUNNEL_INVARIANT(!"a plan without an answer");
}

void ClientSession::forward_planned(const plan::Plan& p, const resp::Request& request,
                                    std::uint64_t seq) {
  if (p.effects != 0) [[unlikely]] {
    apply_pin_effects(p);
    if (p.has(plan::effect::kRecordPause)) record_pause(request, p.client_sub);
    if (p.has(plan::effect::kSelectFirst)) {
      std::string& out = ctx_.local_reply;
      out.clear();
      if (!select_database(request, out)) return answer_local(seq, out);
    }
  }
  const common::Millis deadline =
      p.has(plan::effect::kBlockingDeadline)
          ? blocking_deadline(request)
          : common::coarse_now_ms() + ctx_.config.backend.request_timeout_ms;
  std::uint8_t flags = 0;
  if (p.has(plan::effect::kAppendFunnelInfo)) flags |= backend::ReplyTarget::kAppendFunnelInfo;
  if (p.has(plan::effect::kNoRetry)) flags |= backend::ReplyTarget::kRetried;
  if (p.has(plan::effect::kOutOfBand)) [[unlikely]]
    flags |= backend::ReplyTarget::kOutOfBand;
  if (p.has(plan::effect::kPubsubCount)) flags |= count_pubsub_reply(request, seq);
  if (p.has(plan::effect::kStartMonitor)) flags |= backend::ReplyTarget::kSessionEdit;
  if (ctx_.near_cache != nullptr) [[unlikely]] {
    if (near_cache_before(request, seq, flags, p.target == plan::Target::kReadRoute)) return;
  }
  if (p.target == plan::Target::kReadRoute) return forward_read(request, seq, flags, deadline);
  forward(request.raw(), seq, 0, flags, deadline);
  // MONITOR went on the pinned link: later requests go on shared links, behind its reply (their
  // lane differs), and the link's lines go to the client.
  if (p.has(plan::effect::kStartMonitor)) [[unlikely]]
    state_.monitoring = true;
  // The one fan-out today: the primary's part is the client's (Merge::kFirstPartWins); the
  // copies' replies are dropped.
  if (p.action == plan::Action::kFanOut) copy_to_replicas(request, deadline);
}

// Cluster mode: the held MULTI's keys must share one slot at EXEC (plan::effect::kQueuedSlot).
void ClientSession::note_queued_slot(std::uint16_t slot) {
  if (!state_.tx_has_slot) {
    state_.tx_has_slot = true;
    state_.tx_slot = slot;
  } else if (state_.tx_slot != slot) {
    state_.tx_cross_slot = true;
  }
}

void ClientSession::answer_refusal(const plan::Plan& p, std::uint64_t seq) {
  if (p.has(plan::effect::kAbortTransaction) && rare_->tx != nullptr) {
    rare_->tx->flag_error();  // as in Redis: EXEC will answer EXECABORT
  }
  if (p.has(plan::effect::kPermissionDenied)) ctx_.metrics->permission_denied.add();
  answer_error(seq, p.text);
  if (p.has(plan::effect::kDropLease)) end_pin();  // after: the text is the lease's
}

void ClientSession::handle_local(const resp::Request& request, std::uint64_t seq,
                                 const plan::Plan& p) {
  std::string& out = ctx_.local_reply;
  out.clear();
  LocalCall call{request, seq, out, p.client_sub};
  (this->*local_handler(p.local))(call);
  if (call.answered) return;
  if (auth_delayed_) return hold_auth_reply(seq);  // a failed AUTH held (session_auth.cpp)
  answer_local(seq, out);
}

}  // namespace funnel::client
