// ClientSession's reads on replicas (issue #5, docs/topology.md): which read-only requests are
// routed, read-your-writes bookkeeping, and SCAN cursors kept on the node that issued them.
//
// Reads on replicas travel on the client's shared lane: they need no order against the client's
// writes beyond what read-your-writes gives (a read while a write is in flight, or before the
// primary's offset after it is known, goes to the primary, on the same link as the write).
#include "client/client_session.hpp"
#include "routing/cursor.hpp"

namespace funnel::client {

ReadState& ClientSession::read_state() {
  if (!rare_->reads) rare().reads = std::make_unique<ReadState>();
  return *rare_->reads;
}

// Redis does not replicate SCRIPT LOAD (nor SCRIPT FLUSH): EVALSHA_RO on a replica would answer
// NOSCRIPT for a script the client loaded through Funnel. So both go to every replica too, with
// their replies dropped (the client gets the primary's: the planner's fan-out with
// Merge::kFirstPartWins); a replica that still lacks a script (it joined later, or restarted)
// sends that read to the primary (link_io.cpp, NOSCRIPT).
void ClientSession::copy_to_replicas(const resp::Request& request, common::Millis deadline) {
  backend::ReplyTarget dropped;
  dropped.session_index = UINT32_MAX;  // no session: the worker drops the reply
  dropped.worker = static_cast<std::uint16_t>(ctx_.worker_index);
  dropped.started_ns = ctx_.batch_ns;
  ctx_.reads->for_each_replica([&](backend::BackendPool& pool) {
    ctx_.metrics->requests_in_flight_up.add();  // the dropped reply counts it down
    pool.submit(state_.protocol, id_, request.raw(), dropped, deadline, 0);
  });
}

void ClientSession::count_write(backend::ReplyTarget& target) {
  target.flags |= backend::ReplyTarget::kWrite;
  ++read_state().writes_in_flight;
}

void ClientSession::write_answered(std::int64_t now_ns) {
  ReadState& state = read_state();
  if (state.writes_in_flight != 0) --state.writes_in_flight;
  state.last_write_ns = now_ns;
  if (ctx_.reads->read_your_writes() == ReadYourWrites::kProcess) {
    ctx_.writes->note(ctx_.worker_index, now_ns);
  }
}

// The replication offset a node must have reached to serve this client's reads (-1: any), or
// primary_only when only the primary is known to have the client's writes yet.
std::int64_t ClientSession::offset_needed_by_reads(ReadState& state, bool& primary_only) const {
  primary_only = false;
  const ReadYourWrites scope = ctx_.reads->read_your_writes();
  if (scope == ReadYourWrites::kOff) return -1;
  if (state.writes_in_flight != 0) {
    primary_only = true;  // on the primary link, behind the write
    return -1;
  }
  std::int64_t written_ns = state.last_write_ns;
  if (scope == ReadYourWrites::kProcess) written_ns = std::max(written_ns, ctx_.writes->latest());
  if (written_ns == 0) return -1;
  const routing::OffsetBoard* board = ctx_.reads->offsets();
  const std::int64_t needed = board != nullptr ? board->primary_offset_after(written_ns) : -1;
  primary_only = needed < 0;  // no ROLE poll of the primary since that write yet
  return needed;
}

void ClientSession::forward_read(const resp::Request& request, std::uint64_t seq,
                                 std::uint8_t flags, common::Millis deadline) {
  if (ctx_.slot_map != nullptr) return forward_cluster_read(request, seq, flags, deadline);
  ReadRoutes& routes = *ctx_.reads;
  ReadState& state = read_state();
  if (state.route.reserved != routes.layout_epoch()) {
    state.route = routing::ClientReadState{};  // node indexes from an older node list
    state.route.reserved = routes.layout_epoch();
  }
  const routing::CursorUse cursor = routing::cursor_use(request);
  bool primary_only = false;
  std::int64_t needed = offset_needed_by_reads(state, primary_only);
  ReadRoutes::Choice choice;
  if (cursor == routing::CursorUse::kContinue) {
    // A cursor only makes sense on the node that issued it, whatever the client wrote since.
    choice = routes.choose(state.route, -1, true);
  } else if (!primary_only) {
    choice = routes.choose(state.route, needed, false);
  }
  if (!choice.error.empty()) {
    ctx_.metrics->reads_refused.add();
    return answer_error(seq, choice.error);
  }
  if (cursor == routing::CursorUse::kStart) state.route.cursor_node = choice.index;
  if (choice.pool == nullptr) {
    ctx_.metrics->reads_on_primary.add();
    return forward(request.raw(), seq, 0, flags, deadline);
  }
  if (choice.node < metrics::kMaxNodes) ctx_.metrics->reads_by_node[choice.node].add();
  backend::ReplyTarget target = reply_target(seq, 0, flags);
  target.flags |= backend::ReplyTarget::kRetryRead;
  ctx_.metrics->requests_in_flight_up.add();
  state_.lanes.sent(state_.forward_lane());
  choice.pool->submit(state_.protocol, id_, request.raw(), target, deadline, 0);
}

}  // namespace funnel::client
