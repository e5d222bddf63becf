// ClientSession's pub/sub side: (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE answered as Redis 7 does,
// with the counts of this client's own subscriptions; confirmations that wait for the backend;
// pushes from the hub written only between whole replies and never before the confirmation of
// their subscription; the pubsub output-buffer limits; and the worker's fan-out of a hub batch.
#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "client/client_session.hpp"
#include "client/reply_mode.hpp"

namespace funnel::client {
namespace {
using metrics::ProcessCounters;

struct PubsubCommand {
  PubsubKind kind;
  bool subscribe;
};

PubsubCommand pubsub_command(std::string_view name) {
  if (name == "subscribe") return {PubsubKind::kChannel, true};
  if (name == "psubscribe") return {PubsubKind::kPattern, true};
  if (name == "ssubscribe") return {PubsubKind::kShard, true};
  if (name == "unsubscribe") return {PubsubKind::kChannel, false};
  if (name == "punsubscribe") return {PubsubKind::kPattern, false};
  return {PubsubKind::kShard, false};  // sunsubscribe (classify routes only these six here)
}
}  // namespace

// Answers itself: a subscription's reply waits for the backend's confirmation.
void ClientSession::cmd_pubsub(LocalCall& call) {
  call.answered = true;
  const PubsubCommand command = pubsub_command(ctx_.classification.spec->name);
  if (command.subscribe) {
    pubsub_subscribe(command.kind, call.request, call.seq);
  } else {
    pubsub_unsubscribe(command.kind, call.request, call.seq);
  }
  note_subscriptions();
}

void ClientSession::pubsub_subscribe(PubsubKind kind, const resp::Request& request,
                                     std::uint64_t seq) {
  if (!rare_->subs) rare().subs = std::make_unique<SessionSubscriptions>(this);
  const bool was_subscribed = rare_->subs->total() > 0;
  SessionSubscriptions::Pending& pending = rare_->subs->pending;
  pending.seq = seq;
  pending.reply.clear();
  pending.awaiting = 0;
  pending.kind = kind;
  pending.added.clear();
  pending.since_ms = common::coarse_now_ms();
  pending.command_id = ctx_.classification.spec->id;
  pending.silent = silent_;  // its confirmations are sent anyway; an error of Funnel's is not
  const std::string_view word = backend::subscribe_word(kind);
  for (std::size_t i = 1; i < request.argc(); ++i) {
    const std::string_view name = request.arg(i);
    if (rare_->subs->add(kind, name)) {
      if (ctx_.pubsub_counts != nullptr) ctx_.pubsub_counts->add_client(kind, name, 1);
      bool confirmed = false;
      if (ctx_.subscriptions.join(kind, name, rare_->subs.get(), confirmed) &&
          ctx_.pubsub != nullptr) {
        ctx_.pubsub->want(kind, name);
      }
      if (!confirmed) ++pending.awaiting;
      pending.added.emplace_back(name);
    }
    write_subscription_reply(pending.reply, state_.protocol, word, &name,
                             rare_->subs->reply_count(kind));
  }
  if (!was_subscribed) ctx_.metrics->pubsub_clients_up.add();
  // The barrier: nothing after this request is read until its confirmation has been written,
  // so a PUBLISH pipelined behind it runs after the backend subscription exists, and no
  // message can overtake the confirmation.
  pending.active = true;
  if (pending.awaiting == 0) {
    ++pending.awaiting;  // confirmed already: answer through the same path
    subscription_confirmed();
  }
}

void ClientSession::subscription_confirmed() {
  if (closed_ || !rare_->subs || !rare_->subs->pending.active || rare_->subs->pending.awaiting == 0)
    return;
  if (--rare_->subs->pending.awaiting > 0) return;
  const std::string reply = std::move(rare_->subs->pending.reply);
  rare_->subs->pending.reply.clear();
  rare_->subs->pending.added.clear();
  const std::int64_t elapsed = common::precise_now_ns() - ctx_.batch_ns;
  record(rare_->subs->pending.command_id, metrics::CommandClass::kLocal, reply, elapsed, 0);
  answer(rare_->subs->pending.seq, reply);  // answer() calls after_pubsub_answer()
}

void ClientSession::expire_pending_subscribe(common::Millis now, common::Millis limit) {
  if (closed_ || !subscribe_barrier() || rare_->subs->pending.awaiting == 0) return;
  SessionSubscriptions::Pending& pending = rare_->subs->pending;
  if (now - pending.since_ms < limit) return;
  const bool was_subscribed = subscribed();
  for (const std::string& name : pending.added) leave(pending.kind, name);
  if (was_subscribed && !subscribed()) ctx_.metrics->pubsub_clients_down.add();
  note_subscriptions();
  pending.awaiting = 0;
  pending.added.clear();
  pending.reply.clear();
  std::string reply = "-ERR funnel: the backend did not confirm the subscription within ";
  reply += std::to_string(limit);
  reply +=
      " ms (backend.request_timeout_ms; is the backend down?); not subscribed, retry later\r\n";
  record(pending.command_id, metrics::CommandClass::kLocal, reply, 0, 0);
  answer(pending.seq, reply_mode_sends(pending.silent, Outgoing::kReply) ? reply : "");
}

// Runs after every reply that answer() queued: once the pending confirmation has gone into the
// output, the pushes held back for it follow, and reading resumes (posted: answer() may run
// inside a link's reply loop, where parsing requests must not start).
void ClientSession::after_pubsub_answer() {
  if (closed_ || !subscribe_barrier()) return;
  SessionSubscriptions::Pending& pending = rare_->subs->pending;
  if (pending.awaiting > 0 || replies_.head() <= pending.seq) return;
  pending.active = false;
  if (!rare_->subs->held_pushes.empty()) {
    std::string& out = io().out;
    const std::size_t capacity_before = out.capacity();
    const std::size_t held_before = rare_->subs->held_pushes.capacity();
    out.append(rare_->subs->held_pushes);
    std::string().swap(rare_->subs->held_pushes);
    track_buffer(held_before, rare_->subs->held_pushes);
    if (closed_) return;
    track_buffer(capacity_before <= 15 ? 0 : capacity_before, out);
    if (closed_) return;
    schedule_flush();
  }
  ++pending_ops_;
  asio::post(ctx_.io, [this] {
    --pending_ops_;
    resume_after_subscribe();
    maybe_destroy();
  });
}

void ClientSession::resume_after_subscribe() {
  if (closed_ || subscribe_barrier()) return;
  if (!io_->in.empty() && !reading_paused_) {
    const std::size_t consumed = process_requests(io_->in);
    if (closed_) return;
    keep_unparsed(io_->in, consumed, false);
    if (closed_) return;
  }
  wait_readable();
}

void ClientSession::pubsub_unsubscribe(PubsubKind kind, const resp::Request& request,
                                       std::uint64_t seq) {
  std::string& out = ctx_.local_reply;
  out.clear();
  const bool was_subscribed = subscribed();
  const std::string_view word = backend::unsubscribe_word(kind);
  std::vector<std::string> all;
  if (request.argc() == 1 && rare_->subs) all = rare_->subs->names(kind);
  if (request.argc() == 1 && all.empty()) {
    write_subscription_reply(out, state_.protocol, word, nullptr,
                             rare_->subs ? rare_->subs->reply_count(kind) : 0);
  }
  const auto one = [&](std::string_view name) {
    leave(kind, name);
    write_subscription_reply(out, state_.protocol, word, &name,
                             rare_->subs ? rare_->subs->reply_count(kind) : 0);
  };
  for (const std::string& name : all) one(name);
  for (std::size_t i = 1; i < request.argc(); ++i) one(request.arg(i));
  if (was_subscribed && !subscribed()) ctx_.metrics->pubsub_clients_down.add();
  answer_pubsub(seq, out);
}

// Confirmations are pushes in Redis: sent under CLIENT REPLY OFF and SKIP too.
void ClientSession::answer_pubsub(std::uint64_t seq, std::string_view confirmations) {
  const std::int64_t elapsed = common::precise_now_ns() - ctx_.batch_ns;
  record(ctx_.classification.spec->id, metrics::CommandClass::kLocal, confirmations, elapsed, 0);
  answer(seq, reply_mode_sends(silent_, Outgoing::kPubsubPush) ? confirmations : "");
}

// PUBLISH, SPUBLISH, PUBSUB NUMSUB / SHARDNUMSUB on their way to the backend: remembers what
// their reply counts, so deliver() can correct it. 0 (no correction) for a reply that is dropped.
std::uint8_t ClientSession::count_pubsub_reply(const resp::Request& request, std::uint64_t seq) {
  if (silent_ || ctx_.pubsub_counts == nullptr) return 0;
  const command::ReplyEdit edit = ctx_.classification.reply_edit;
  CountedReply what;
  what.numsub =
      edit == command::ReplyEdit::kNumsubCount || edit == command::ReplyEdit::kShardNumsubCount;
  what.kind = edit == command::ReplyEdit::kShardPublishCount ||
                      edit == command::ReplyEdit::kShardNumsubCount
                  ? PubsubKind::kShard
                  : PubsubKind::kChannel;
  if (!what.numsub) what.channel = request.arg(1);  // PUBLISH's arity is checked: 3
  if (!rare_->counted) rare().counted = std::make_unique<CountedReplies>();
  rare_->counted->pending.emplace_back(seq, std::move(what));
  return backend::ReplyTarget::kSessionEdit;
}

// The reply for `seq` with its count corrected, if it is one count_pubsub_reply remembered;
// false (nothing answered) otherwise.
bool ClientSession::answer_corrected_count(std::uint64_t seq, std::string_view reply) {
  if (!rare_->counted) return false;
  auto& pending = rare_->counted->pending;
  const auto it = std::find_if(pending.begin(), pending.end(),
                               [&](const auto& entry) { return entry.first == seq; });
  if (it == pending.end()) return false;
  std::string out;
  correct_pubsub_count(*ctx_.pubsub_counts, it->second, reply, state_.protocol, out);
  pending.erase(it);
  if (pending.empty()) rare().counted.reset();
  answer(seq, out, false);
  return true;
}

void ClientSession::leave(PubsubKind kind, std::string_view name) {
  if (!rare_->subs || !rare_->subs->remove(kind, name)) return;
  if (ctx_.pubsub_counts != nullptr) ctx_.pubsub_counts->add_client(kind, name, -1);
  if (ctx_.subscriptions.leave(kind, name, rare_->subs.get()) && ctx_.pubsub != nullptr) {
    ctx_.pubsub->unwant(kind, name);
  }
}

// RESET and disconnect: every subscription goes, and the hub hears of names now unwanted here.
void ClientSession::leave_all_subscriptions() {
  if (!rare_->subs) return;
  const bool was_subscribed = subscribed();
  for (std::size_t k = 0; k < static_cast<std::size_t>(PubsubKind::kCount); ++k) {
    const auto kind = static_cast<PubsubKind>(k);
    for (const std::string& name : rare_->subs->names(kind)) leave(kind, name);
  }
  if (was_subscribed) ctx_.metrics->pubsub_clients_down.add();
  rare().subs.reset();
  note_subscriptions();
}

bool ClientSession::unsubscribed_by_node(PubsubKind kind, std::string_view name) {
  if (closed_ || !rare_->subs) return true;
  const bool was_subscribed = subscribed();
  leave(kind, name);
  std::string bytes;  // as the hub's pushes: RESP3, re-headed by push() for the client
  write_subscription_reply(bytes, resp::Protocol::kResp3, backend::unsubscribe_word(kind), &name,
                           rare_->subs->reply_count(kind));
  if (was_subscribed && !subscribed()) ctx_.metrics->pubsub_clients_down.add();
  note_subscriptions();
  return push(bytes);
}

bool ClientSession::push(std::string_view push_bytes) {
  if (closed_ || !rare_->subs) return true;
  ctx_.metrics->pubsub_messages_out.add();
  if (rare_->subs->pending.active) {
    const std::size_t held_before = rare_->subs->held_pushes.capacity();
    append_push(rare_->subs->held_pushes, state_.protocol, push_bytes);
    track_buffer(held_before, rare_->subs->held_pushes);  // counted like any buffer
    return closed_ || pubsub_output_ok();
  }
  std::string& out = io().out;
  const std::size_t capacity_before = out.capacity();
  if (capacity_before <= 15) out = ctx_.buffers.acquire();
  append_push(out, state_.protocol, push_bytes);
  track_buffer(capacity_before <= 15 ? 0 : capacity_before, out);
  if (closed_) return true;
  if (!pubsub_output_ok()) return false;
  schedule_flush();
  return true;
}

// Redis's client-output-buffer-limit for the pubsub class: over the hard limit, or over the soft
// limit for longer than its seconds, the client is disconnected (no error: it is not reading).
bool ClientSession::pubsub_output_ok() {
  const auto& limits = ctx_.config.limits;
  const std::size_t unsent = io_->out.size() - io_->out_sent + rare_->subs->held_pushes.size();
  if (unsent <= limits.pubsub_output_soft_bytes) {
    rare_->subs->soft_limit_since_ms = -1;
    return true;
  }
  const common::Millis now = common::coarse_now_ms();
  if (rare_->subs->soft_limit_since_ms < 0) rare_->subs->soft_limit_since_ms = now;
  const bool hard = unsent > limits.pubsub_output_hard_bytes;
  const bool soft = now - rare_->subs->soft_limit_since_ms >=
                    static_cast<common::Millis>(limits.pubsub_output_soft_seconds) * 1000;
  if (!hard && !soft) return true;
  spdlog::warn(
      "client {} ({}) not reading its pub/sub messages: {} bytes pending exceeds the {} "
      "limit (limits.pubsub_output_{}); closing it",
      id_, peer_address(), unsent, hard ? "hard" : "soft",
      hard ? "hard_bytes" : "soft_bytes for pubsub_output_soft_seconds");
  return false;
}

void dispatch_pubsub(SessionContext& ctx, const PubsubDelivery& batch) {
  std::vector<ClientSession*> targets;  // copied: a push may close a session, which leaves
  std::vector<ClientSession*> slow;
  for (const PubsubDelivery::Item& item : batch.items) {
    const std::string_view key =
        std::string_view(batch.bytes).substr(item.key_offset, item.key_length);
    if (item.dropped) [[unlikely]] {
      const auto* members = ctx.subscriptions.members(item.kind, key);
      if (members == nullptr) continue;
      for (SessionSubscriptions* member : *members) targets.push_back(member->owner());
      for (ClientSession* session : targets) {
        if (!session->unsubscribed_by_node(item.kind, key)) slow.push_back(session);
      }
      targets.clear();
      for (ClientSession* session : slow) session->close(metrics::CloseReason::kOutputLimit);
      slow.clear();
      continue;
    }
    if (item.confirm) {
      for (SessionSubscriptions* waiting : ctx.subscriptions.confirm(item.kind, key)) {
        targets.push_back(waiting->owner());
      }
      for (ClientSession* session : targets) session->subscription_confirmed();
      targets.clear();
      continue;
    }
    const auto* members = ctx.subscriptions.members(item.kind, key);
    if (members == nullptr) continue;
    for (SessionSubscriptions* member : *members) targets.push_back(member->owner());
    const std::string_view push =
        std::string_view(batch.bytes).substr(item.push_offset, item.push_length);
    for (ClientSession* session : targets) {
      if (!session->push(push)) slow.push_back(session);
    }
    targets.clear();
    for (ClientSession* session : slow) {
      ctx.metrics->pubsub_slow_closed.add();
      ProcessCounters::bump(ctx.facts.counters->clients_closed_output_limit);
      session->close(metrics::CloseReason::kOutputLimit);
    }
    slow.clear();
  }
}

}  // namespace funnel::client
